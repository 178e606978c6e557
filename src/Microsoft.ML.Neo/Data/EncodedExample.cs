namespace Microsoft.ML.Neo.Data;

/// <summary>
/// A tokenized training example: <c>[BOS] prompt response [EOS]</c>. Loss is taken on the tokens from
/// <see cref="ResponseStart"/> on, that is the response and its end-of-sequence token.
/// </summary>
internal sealed record EncodedExample(int[] TokenIds, int ResponseStart)
{
    /// <summary>Number of positions that carry loss.</summary>
    public int ResponseTokenCount => TokenIds.Length - ResponseStart;
}
