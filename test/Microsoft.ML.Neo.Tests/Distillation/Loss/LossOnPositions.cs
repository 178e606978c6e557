using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.Loss;

/// <summary>
/// Feeds hand-made [B, T, V] logits and [B, T] labels to the library's one loss path, the way a batch does: the rows
/// whose label is not ignored are gathered on both sides, and the teacher's extra (padded) ids are left out.
/// </summary>
internal static class LossOnPositions
{
    public static Tensor Rows(Tensor labels) => labels.reshape(-1).ne(TokenBatch.IgnoreIndex).nonzero().reshape(-1); // [M]

    public static LossTensors Compute(Tensor student, Tensor? teacher, Tensor labels, float kdWeight, float temperature, Divergence divergence,
        float jsdBeta = 0.5f, float skewAlpha = 0.1f)
    {
        long vocab = student.shape[^1];
        var rows = Rows(labels);
        var studentRows = student.reshape(-1, vocab).index_select(0, rows);                          // [M, V]
        var targets = labels.reshape(-1).index_select(0, rows);                                      // [M]
        var teacherRows = teacher?.reshape(-1, teacher.shape[^1]).narrow(-1, 0, vocab).index_select(0, rows); // [M, V]
        return DistillationLoss.Compute(studentRows, targets, teacherRows is null ? null : new TeacherTargets(teacherRows, null),
            new LossSettings(kdWeight, temperature, divergence) { JsdBeta = jsdBeta, SkewAlpha = skewAlpha });
    }

    /// <summary>The same loss with the teacher's top-K ids and logits at the unmasked positions ([M, K] each).</summary>
    public static LossTensors ComputeTopK(Tensor student, Tensor labels, Tensor teacherTopIds, Tensor teacherTopLogits, float kdWeight,
        float temperature, Divergence divergence = Divergence.ForwardKL, float jsdBeta = 0.5f, float skewAlpha = 0.1f)
    {
        var rows = Rows(labels);
        return DistillationLoss.Compute(student.reshape(-1, student.shape[^1]).index_select(0, rows), labels.reshape(-1).index_select(0, rows),
            new TeacherTargets(teacherTopLogits, teacherTopIds), new LossSettings(kdWeight, temperature, divergence) { JsdBeta = jsdBeta, SkewAlpha = skewAlpha });
    }
}
