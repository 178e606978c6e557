namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>The distillation loss: (1 − w)·CE + w·T²·D, with D one of the <see cref="Divergence"/> functions.</summary>
/// <param name="KdWeight">w, in [0, 1]; 0 is cross-entropy alone and asks no teacher.</param>
/// <param name="Temperature">T, positive.</param>
/// <param name="Divergence">D.</param>
internal sealed record LossSettings(float KdWeight, float Temperature, Divergence Divergence)
{
    /// <summary>
    /// Bytes of one float32 [chunk, vocabulary] block of logits that the automatic chunk size aims at. The loss keeps
    /// about ten such blocks alive (both models' logits, softmaxes, their gradients), so about 0.3 GB at most. Measured
    /// at a 128,256-entry vocabulary, batch 4 × 512 (docs/performance.md): chunks of 64 rows added 0.12 GiB to a step
    /// against 7.69 GiB for one chunk of all 2,048 rows, and ran 1.8× faster (the blocks stay in cache); 256 rows
    /// added 1.27 GiB.
    /// </summary>
    public const long AutomaticBlockBytes = 32L << 20;

    /// <summary>
    /// Response rows whose logits (student and teacher) are alive at once: the heads, the loss and its backward run one
    /// chunk of rows at a time. 0 (default) picks it from the vocabulary (<see cref="RowsPerChunk"/>); otherwise at
    /// least 1. The result does not depend on it beyond floating-point rounding.
    /// </summary>
    public int ChunkRows { get; init; }

    /// <summary>β of <see cref="Divergence.JensenShannon"/>, in [0, 1]: the teacher's share of the mixture. Default 0.5.</summary>
    public float JsdBeta { get; init; } = 0.5f;

    /// <summary>α of the skewed KLs, in (0, 1): how much of the divergence's own side is mixed into its other side. Default 0.1 (DistiLLM's).</summary>
    public float SkewAlpha { get; init; } = 0.1f;

    /// <summary>
    /// Weight of the universal logit distillation term (<see cref="UniversalLogitDistance"/>) on the positions a
    /// cross-tokenizer teacher scores that way, relative to <see cref="Divergence"/> on the others; at least 0. Default 1.
    /// </summary>
    public float UldWeight { get; init; } = 1f;

    /// <summary>The rows per chunk for a vocabulary: <see cref="ChunkRows"/>, or when 0 the largest power of two
    /// whose float32 block fits <see cref="AutomaticBlockBytes"/> (64 at 128,256 ids, 256 at 32,000, at least 1).</summary>
    public long RowsPerChunk(int vocabulary) =>
        ChunkRows > 0 ? ChunkRows : (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, AutomaticBlockBytes / (4L * vocabulary)) + 1) / 2;

    /// <summary>Plain cross-entropy on the response tokens.</summary>
    public static readonly LossSettings CrossEntropyOnly = new(0, 1, Divergence.ForwardKL);

    /// <summary>Whether the loss reads the teacher's scores at all.</summary>
    public bool UsesTeacher => KdWeight > 0;
}
