namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>Qwen2 and Qwen2.5: Llama's shape with biases on q, k and v (not on o).</summary>
internal sealed class Qwen2Family : QwenFamily
{
    public override string Name => "Qwen2";

    public override IReadOnlyList<string> ModelTypes { get; } = new[] { "qwen2" };

    public override string Architecture => "Qwen2ForCausalLM";

    public override bool QkvBiasOnly => true;
}
