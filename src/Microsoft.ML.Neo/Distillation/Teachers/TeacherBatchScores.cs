using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// A teacher's scores for one batch, read a chunk of response rows at a time, so a chunked loss never holds the
/// teacher's logits for the whole batch. Tensors belong to the dispose scope that was current when the teacher made
/// this object (and, for <see cref="Rows"/>, when it is called).
/// </summary>
internal abstract class TeacherBatchScores
{
    /// <summary>M: the batch's response rows.</summary>
    public abstract long RowCount { get; }

    /// <summary>The targets of rows <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> − 1.</summary>
    public abstract TeacherTargets Rows(long start, long count);

    /// <summary>Every row at once.</summary>
    public TeacherTargets All() => Rows(0, RowCount);
}

/// <summary>Scores already known for the whole batch (a cache, a server's answer): chunks are slices of them.</summary>
internal sealed class KnownTeacherScores(TeacherTargets all) : TeacherBatchScores
{
    public override long RowCount => all.Logits.shape[0];

    public override TeacherTargets Rows(long start, long count) =>
        new(all.Logits.narrow(0, start, count), all.Ids?.narrow(0, start, count))
        {
            HasEmptyEntries = all.HasEmptyEntries, UldRows = all.UldRows?.narrow(0, start, count),
        };
}
