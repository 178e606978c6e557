namespace Microsoft.ML.Neo;

/// <summary>
/// How the frozen weights of the student's base and of a local teacher are stored while they are frozen: as they are,
/// or as weight-only integers dequantized layer by layer in each forward pass (LoRA adapters, norms and embeddings keep
/// their format). docs/concepts.md says what it saves and what it costs.
/// </summary>
public enum WeightQuantization
{
    /// <summary>As loaded (in <see cref="ComputePrecision"/>'s format).</summary>
    None,

    /// <summary>8-bit integers with one float32 scale per output row (symmetric, absolute maximum / 127): about 1 byte per weight.</summary>
    Int8,

    /// <summary>
    /// QLoRA's 4-bit NormalFloat: each weight is the nearest of 16 levels (normal quantiles in [−1, 1]) times its group's
    /// absolute maximum, one float32 per 32 inputs of a row; two codes to a byte, about 0.63 bytes per weight. Coarser
    /// than Int8: a larger change to the model's outputs.
    /// </summary>
    NF4,
}
