namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>The distillation loss: (1 − w)·CE + w·T²·D, with D one of the <see cref="Divergence"/> functions.</summary>
/// <param name="KdWeight">w, in [0, 1]; 0 is cross-entropy alone and asks no teacher.</param>
/// <param name="Temperature">T, positive.</param>
/// <param name="Divergence">D.</param>
internal sealed record LossSettings(float KdWeight, float Temperature, Divergence Divergence)
{
    /// <summary>The default <see cref="ChunkRows"/>, as Liger Kernel's fused losses use.</summary>
    public const int DefaultChunkRows = 1024;

    /// <summary>
    /// Response rows whose logits (student and teacher) are alive at once: the heads, the loss and its backward run one
    /// chunk of rows at a time. At least 1. The result does not depend on it beyond floating-point rounding.
    /// </summary>
    public int ChunkRows { get; init; } = DefaultChunkRows;

    /// <summary>Plain cross-entropy on the response tokens.</summary>
    public static readonly LossSettings CrossEntropyOnly = new(0, 1, Divergence.ForwardKL);

    /// <summary>Whether the loss reads the teacher's scores at all.</summary>
    public bool UsesTeacher => KdWeight > 0;
}
