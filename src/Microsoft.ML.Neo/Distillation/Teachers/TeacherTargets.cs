using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// What a teacher says at the response positions of a batch, row k pairing with the student's k-th response row:
/// dense logits over the student's vocabulary, or its top-K ids and their logits. Tensors belong to the caller's
/// dispose scope and carry no gradient.
/// </summary>
/// <param name="Logits">[M, V] dense logits, or [M, K] the logits of <paramref name="Ids"/>.</param>
/// <param name="Ids">[M, K] int64 token ids when only the top K are known; null for the whole vocabulary.</param>
internal sealed record TeacherTargets(Tensor Logits, Tensor? Ids)
{
    /// <summary>True when only the teacher's top-K ids are known.</summary>
    public bool IsTopK => Ids is not null;
}
