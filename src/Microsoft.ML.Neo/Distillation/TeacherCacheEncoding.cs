namespace Microsoft.ML.Neo;

/// <summary>How a new teacher score cache stores each position's top-K logits (an existing cache keeps its own).</summary>
public enum TeacherCacheEncoding
{
    /// <summary>
    /// Ids packed (Rice-coded gaps of the sorted ids, about log2(vocabulary / K) + 1.5 bits each) and each logit as a
    /// 10-bit code on a log scale below the best one. At K = 64: 121 bytes per token with the embedded 512-token
    /// vocabulary, 188 with ids spread over 151,936 (format 1 took 513). Measured with <c>neo-bench cache</c>, the KD
    /// loss from it was within 4.6e-4 of the exact one on every batch of 8, for every divergence (docs/performance.md).
    /// The default.
    /// </summary>
    Compact,

    /// <summary>Ids packed as in <see cref="Compact"/>, logits as the teacher's float32 values, bit for bit.</summary>
    Exact,
}
