namespace Microsoft.ML.Neo.Lora;

/// <summary>How LoRA adapters start (PEFT's <c>init_lora_weights</c>).</summary>
public enum LoraInitialization
{
    /// <summary>A random (Kaiming-uniform) A and a zero B: the adapted model starts equal to its base (PEFT's <c>true</c>).</summary>
    Default,

    /// <summary>
    /// PiSSA (Meng et al. 2024): A and B start as the base weight's top-r singular vectors and values, so training moves
    /// the principal components first, while the model still starts equal to its base (PEFT's <c>"pissa"</c>).
    /// </summary>
    Pissa,
}
