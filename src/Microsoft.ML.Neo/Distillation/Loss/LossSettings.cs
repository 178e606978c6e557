namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>The distillation loss: (1 − w)·CE + w·T²·D, with D one of the <see cref="Divergence"/> functions.</summary>
/// <param name="KdWeight">w, in [0, 1]; 0 is cross-entropy alone and asks no teacher.</param>
/// <param name="Temperature">T, positive.</param>
/// <param name="Divergence">D.</param>
internal sealed record LossSettings(float KdWeight, float Temperature, Divergence Divergence)
{
    /// <summary>
    /// Bytes of one float32 [chunk, vocabulary] block of logits that the automatic chunk size aims at. The loss keeps
    /// about ten such blocks alive (both models' logits, softmaxes, their gradients), so about 1.3 GB at most. Measured
    /// at a 128,256-entry vocabulary (docs/performance.md): 256 rows used 16% of the memory of one chunk of 2,048 rows
    /// and ran faster (a smaller working set).
    /// </summary>
    public const long AutomaticBlockBytes = 128L << 20;

    /// <summary>
    /// Response rows whose logits (student and teacher) are alive at once: the heads, the loss and its backward run one
    /// chunk of rows at a time. 0 (default) picks it from the vocabulary (<see cref="RowsPerChunk"/>); otherwise at
    /// least 1. The result does not depend on it beyond floating-point rounding.
    /// </summary>
    public int ChunkRows { get; init; }

    /// <summary>The rows per chunk for a vocabulary: <see cref="ChunkRows"/>, or when 0 the largest power of two
    /// whose float32 block fits <see cref="AutomaticBlockBytes"/> (256 at 128,256 ids, 1,024 at 32,000, at least 1).</summary>
    public long RowsPerChunk(int vocabulary) =>
        ChunkRows > 0 ? ChunkRows : (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, AutomaticBlockBytes / (4L * vocabulary)) + 1) / 2;

    /// <summary>Plain cross-entropy on the response tokens.</summary>
    public static readonly LossSettings CrossEntropyOnly = new(0, 1, Divergence.ForwardKL);

    /// <summary>Whether the loss reads the teacher's scores at all.</summary>
    public bool UsesTeacher => KdWeight > 0;
}
