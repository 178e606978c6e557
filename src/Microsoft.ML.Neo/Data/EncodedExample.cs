namespace Microsoft.ML.Neo.Data;

/// <summary>
/// A tokenized training example: <c>[BOS] prompt response [EOS]</c>. Loss is taken on the tokens from
/// <see cref="ResponseStart"/> on, that is the response and its end-of-sequence token. With response priming the
/// teacher reads a different prompt before the same response tokens (<see cref="TeacherTokenIds"/>).
/// </summary>
internal sealed record EncodedExample(int[] TokenIds, int ResponseStart, int[]? TeacherTokenIds = null, int TeacherResponseStart = 0)
{
    /// <summary>The key of this example's cached teacher scores (see TeacherScoreCache), when a cache is used.</summary>
    public string? TeacherScoreKey { get; init; }

    /// <summary>Number of positions that carry loss.</summary>
    public int ResponseTokenCount => TokenIds.Length - ResponseStart;

    /// <summary>What the teacher reads: its own primed sequence, or the student's when there is no priming.</summary>
    public EncodedExample TeacherView => TeacherTokenIds is null ? this : new EncodedExample(TeacherTokenIds, TeacherResponseStart);
}
