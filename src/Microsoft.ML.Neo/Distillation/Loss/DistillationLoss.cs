using TorchSharp;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Distillation.Teachers;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>The mixed loss and its two terms before mixing, as scalar tensors (Total carries the graph).</summary>
internal readonly record struct LossTensors(Tensor Total, Tensor CrossEntropy, Tensor Divergence);

/// <summary>
/// LLM-NEO's objective on response tokens: (1 − w) · CE(student, targets) + w · T² · D(teacher_T ‖ student_T), where w
/// is the KD weight and T the temperature. It reads only the response rows, whatever teacher produced the targets
/// (online, cached or served) and whichever divergence is chosen: every distillation loss of the library goes through
/// <see cref="Compute"/>. Both terms average over the response positions of the batch; a batch without any gives 0.
/// Logits of any dtype are widened to float32 first, so log-softmax, the divergence and the sums run in float32.
/// </summary>
internal static class DistillationLoss
{
    /// <param name="studentLogits">[M, V] the student's logits at the response rows.</param>
    /// <param name="targets">[M] int64 the tokens those rows predict.</param>
    /// <param name="teacher">The teacher's targets at the same rows, or null for cross-entropy alone.</param>
    /// <param name="responseRows">The batch's response rows when these rows are one chunk of them (both terms are sums
    /// over the chunk divided by it, so chunks add up to the batch's means); null when they are the whole batch.</param>
    /// <param name="rowWeights">[M] each row's weight in both terms (the denominator stays the row count); null: all 1.</param>
    public static LossTensors Compute(Tensor studentLogits, Tensor targets, TeacherTargets? teacher, LossSettings settings, long? responseRows = null,
        Tensor? rowWeights = null)
    {
        using var scope = NewDisposeScope();
        // At least 1: a batch without response tokens gives 0 with a gradient path instead of 0/0.
        double denominator = Math.Max(1, responseRows ?? studentLogits.shape[0]);
        studentLogits = studentLogits.to(ScalarType.Float32); // the same tensor when already float32
        var crossEntropy = (rowWeights is null
            ? nn.functional.cross_entropy(studentLogits, targets, reduction: nn.Reduction.Sum)
            : (nn.functional.cross_entropy(studentLogits, targets, reduction: nn.Reduction.None) * rowWeights).sum()).DividedBy(denominator); // [M] → scalar
        Tensor divergence = zeros_like(crossEntropy);
        if (teacher is not null && settings.UsesTeacher)
        {
            float t = settings.Temperature;
            if (teacher.Logits.shape[0] != studentLogits.shape[0])
                throw new InvalidOperationException($"The teacher scored {teacher.Logits.shape[0]} response positions, the batch has {studentLogits.shape[0]}; its targets do not match these examples.");
            var softened = studentLogits.DividedBy(t);                                                  // [M, V]
            var studentLog = nn.functional.log_softmax(softened, -1);                                   // [M, V]
            if (teacher.HasEmptyEntries)
            {
                // One extra column of probability 0 for the empty entries (id V) of a cross-tokenizer teacher.
                using var empty = TeacherTargets.EmptyLogit.ToScalar();
                studentLog = cat(new[] { studentLog, full(studentLog.shape[0], 1, empty, dtype: studentLog.dtype, device: studentLog.device) }, 1); // [M, V + 1]
            }
            if (teacher.Ids is not null) studentLog = studentLog.gather(1, teacher.Ids);                // [M, K]
            var teacherSoftened = teacher.Logits.detach().to(ScalarType.Float32).DividedBy(t);          // [M, S]
            var teacherLog = nn.functional.log_softmax(teacherSoftened, -1);                            // [M, S]
            var perPosition = DivergenceFunction.For(settings).PerPosition(studentLog, teacherLog);     // [M]
            if (teacher.UldRows is not null)
            {
                // Positions whose teacher token is not the student's: the sorted-probability distance instead.
                var uld = UniversalLogitDistance.PerPosition(softened, teacherSoftened).Times(settings.UldWeight); // [M]
                perPosition = where(teacher.UldRows, uld, perPosition);                                 // [M]
            }
            if (rowWeights is not null) perPosition = perPosition * rowWeights;                         // [M]
            divergence = perPosition.sum().DividedBy(denominator).Times(t * t);
        }
        var total = crossEntropy.Times(1 - settings.KdWeight).Plus(divergence.Times(settings.KdWeight));
        return new LossTensors(total.MoveToOuterDisposeScope(), crossEntropy.MoveToOuterDisposeScope(), divergence.MoveToOuterDisposeScope());
    }
}
