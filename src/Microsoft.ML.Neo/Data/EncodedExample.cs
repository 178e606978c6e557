namespace Microsoft.ML.Neo.Data;

/// <summary>
/// A tokenized training example: <c>[BOS] prompt response [EOS]</c>. Loss is taken on the tokens from
/// <see cref="ResponseStart"/> on, that is the response and its end-of-sequence token. With response priming the
/// teacher reads a different prompt before the same response tokens (<see cref="TeacherTokenIds"/>); that alignment is
/// checked here, once, so every later step can pair the k-th response position of both sides without looking again.
/// </summary>
internal sealed record EncodedExample
{
    /// <exception cref="InvalidOperationException">The teacher's sequence does not end in the same response tokens.</exception>
    public EncodedExample(int[] tokenIds, int responseStart, int[]? teacherTokenIds = null, int teacherResponseStart = 0)
    {
        TokenIds = tokenIds;
        ResponseStart = responseStart;
        TeacherTokenIds = teacherTokenIds;
        TeacherResponseStart = teacherResponseStart;
        if (teacherTokenIds is not null
            && !tokenIds.AsSpan(responseStart).SequenceEqual(teacherTokenIds.AsSpan(teacherResponseStart)))
            throw new InvalidOperationException(
                "Teacher and student sequences do not end in the same response tokens; KD positions would be misaligned.");
    }

    /// <summary>The student's sequence: prompt, then response.</summary>
    public int[] TokenIds { get; }

    /// <summary>Index of the first response token in <see cref="TokenIds"/>.</summary>
    public int ResponseStart { get; }

    /// <summary>The teacher's own (primed) sequence, ending in the same response tokens; null when it reads the student's.</summary>
    public int[]? TeacherTokenIds { get; }

    /// <summary>Index of the first response token in <see cref="TeacherTokenIds"/>.</summary>
    public int TeacherResponseStart { get; }

    /// <summary>
    /// Whether the response was sampled from the student during training (on-policy distillation) rather than taken
    /// from the data or the teacher: such examples are trained on the divergence alone, never on cross-entropy.
    /// </summary>
    public bool StudentGenerated { get; init; }

    /// <summary>The teacher a row names (<see cref="TeacherMixture.RouteColumnName"/>) when several teachers are routed per example; null otherwise.</summary>
    public string? TeacherName { get; init; }

    /// <summary>
    /// How much the example's response positions count in the loss, 0 to 1: 1 except for a teacher response whose
    /// answer disagrees with the reference under <see cref="NeoDistillOptions.MismatchedAnswerWeight"/>.
    /// </summary>
    public float LossWeight { get; init; } = 1;

    /// <summary>Number of positions that carry loss.</summary>
    public int ResponseTokenCount => TokenIds.Length - ResponseStart;

    /// <summary>What the teacher reads: its own primed sequence, or the student's when there is no priming.</summary>
    public EncodedExample TeacherView => TeacherTokenIds is null ? this : new EncodedExample(TeacherTokenIds, TeacherResponseStart);
}
