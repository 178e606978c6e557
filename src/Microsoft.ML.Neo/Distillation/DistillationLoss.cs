using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation;

/// <summary>The three numbers every training step reports: the mixed loss and its two terms before mixing.</summary>
internal readonly record struct LossTerms(Tensor Total, Tensor CrossEntropy, Tensor Divergence);

/// <summary>
/// LLM-NEO's objective on response tokens: (1 − w) · CE(student, labels) + w · T² · D(teacher_T ‖ student_T),
/// where w is the KD weight, T the temperature and D forward or reverse KL. Positions whose label is
/// <see cref="IgnoreIndex"/> (prompt and padding) count in neither term; both terms average over the rest.
/// </summary>
internal static class DistillationLoss
{
    public const long IgnoreIndex = -100;

    /// <param name="studentLogits">[B, T, V].</param>
    /// <param name="teacherLogits">[B, T', V'] with V' ≥ V (extra padded ids are dropped), or null for CE only.</param>
    /// <param name="labels">[B, T] int64 next-token targets, −100 where masked.</param>
    /// <param name="teacherLabels">
    /// [B, T'] targets of the teacher's own sequences when it read a different (primed) prompt; null when it read the
    /// student's. The k-th unmasked teacher position is matched with the k-th unmasked student position, and their
    /// targets must be the same tokens, so the two sides are compared on exactly the same response tokens.
    /// </param>
    public static LossTerms Compute(Tensor studentLogits, Tensor? teacherLogits, Tensor labels,
        float kdWeight, float temperature, Divergence divergence, Tensor? teacherLabels = null)
    {
        using var scope = NewDisposeScope();
        long vocab = studentLogits.shape[^1];
        var (flatStudent, flatLabels, mask, denominator, crossEntropy) = StudentTerms(studentLogits, labels);

        Tensor kd = zeros_like(crossEntropy);
        if (teacherLogits is not null && kdWeight > 0)
        {
            var flatTeacher = teacherLogits.reshape(-1, teacherLogits.shape[^1]).narrow(-1, 0, vocab); // [N', V]
            var studentRows = mask.nonzero().reshape(-1);                                                // [M]
            var teacherFlatLabels = teacherLabels?.reshape(-1) ?? flatLabels;                            // [N']
            var teacherRows = teacherFlatLabels.ne(IgnoreIndex).nonzero().reshape(-1);                   // [M]
            if (teacherRows.shape[0] != studentRows.shape[0]
                || !flatLabels.index_select(0, studentRows).eq(teacherFlatLabels.index_select(0, teacherRows)).all().item<bool>())
                throw new InvalidOperationException("Teacher and student sequences do not end in the same response tokens; KD positions would be misaligned.");
            var student = flatStudent.index_select(0, studentRows);                                      // [M, V]
            var teacher = flatTeacher.index_select(0, teacherRows).detach();                             // [M, V]
            var studentLog = nn.functional.log_softmax(student / temperature, -1);                       // [M, V]
            var teacherLog = nn.functional.log_softmax(teacher / temperature, -1);                       // [M, V]
            var perPosition = divergence == Divergence.ForwardKL
                ? (teacherLog.exp() * (teacherLog - studentLog)).sum(-1)   // [M]
                : (studentLog.exp() * (studentLog - teacherLog)).sum(-1);  // [M]
            kd = perPosition.sum() / denominator * (temperature * temperature);
        }
        return Mix(crossEntropy, kd, kdWeight);
    }

    /// <summary>
    /// The same objective with cached teacher scores: at each response position only the teacher's top-K logits are
    /// known, so the teacher distribution is their softmax at temperature T (renormalised over the K ids) and the KD
    /// term is forward KL over those ids, Σ p_k (log p_k − log q_k), with q the student's full softmax. With K equal to
    /// the vocabulary this is exactly the online forward KL.
    /// </summary>
    /// <param name="teacherTopIds">[M, K] int64: the teacher's top ids at the M unmasked positions, in row-major order.</param>
    /// <param name="teacherTopLogits">[M, K] float32: their logits.</param>
    public static LossTerms ComputeTopK(Tensor studentLogits, Tensor labels, Tensor teacherTopIds, Tensor teacherTopLogits,
        float kdWeight, float temperature)
    {
        using var scope = NewDisposeScope();
        var (flatStudent, _, mask, denominator, crossEntropy) = StudentTerms(studentLogits, labels);

        var studentRows = mask.nonzero().reshape(-1);                                                    // [M]
        if (studentRows.shape[0] != teacherTopIds.shape[0])
            throw new InvalidOperationException($"Cached teacher scores cover {teacherTopIds.shape[0]} positions, the batch has {studentRows.shape[0]}; the cache does not match these examples.");
        var studentLog = nn.functional.log_softmax(flatStudent.index_select(0, studentRows) / temperature, -1).gather(1, teacherTopIds); // [M, K]
        var teacherLog = nn.functional.log_softmax(teacherTopLogits / temperature, -1);                    // [M, K]
        var kd = (teacherLog.exp() * (teacherLog - studentLog)).sum() / denominator * (temperature * temperature);
        return Mix(crossEntropy, kd, kdWeight);
    }

    // The student side both objectives share: flattened logits [N, V] and labels [N], the mask of response positions,
    // their count (at least 1: an all-masked batch gives 0 with a gradient path instead of 0/0), and the mean CE.
    private static (Tensor FlatStudent, Tensor FlatLabels, Tensor Mask, Tensor Denominator, Tensor CrossEntropy) StudentTerms(
        Tensor studentLogits, Tensor labels)
    {
        var flatStudent = studentLogits.reshape(-1, studentLogits.shape[^1]); // [N, V]
        var flatLabels = labels.reshape(-1);                                  // [N]
        var mask = flatLabels.ne(IgnoreIndex);                                // [N]
        var denominator = mask.sum().to(ScalarType.Float32).clamp_min(1);
        var crossEntropy = nn.functional.cross_entropy(flatStudent, flatLabels, ignore_index: IgnoreIndex,
            reduction: nn.Reduction.Sum) / denominator;
        return (flatStudent, flatLabels, mask, denominator, crossEntropy);
    }

    // (1 − w)·CE + w·KD, moved out of the caller's dispose scope with its two terms.
    private static LossTerms Mix(Tensor crossEntropy, Tensor kd, float kdWeight)
    {
        var total = crossEntropy * (1 - kdWeight) + kd * kdWeight;
        return new LossTerms(total.MoveToOuterDisposeScope(), crossEntropy.MoveToOuterDisposeScope(), kd.MoveToOuterDisposeScope());
    }
}
