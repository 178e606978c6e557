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

    /// <summary>
    /// The id that marks an empty entry of <see cref="Ids"/> (a cross-tokenizer teacher's id with no student
    /// counterpart): one past the student's vocabulary. Such entries carry <see cref="EmptyLogit"/>, so both sides give
    /// them probability 0 and they add nothing to any divergence.
    /// </summary>
    public static long EmptyId(long vocabulary) => vocabulary;

    /// <summary>The teacher logit of an empty entry: low enough that its probability is 0 in float32, and finite.</summary>
    public const float EmptyLogit = -1e4f;

    /// <summary>Whether <see cref="Ids"/> may hold <see cref="EmptyId"/>.</summary>
    public bool HasEmptyEntries { get; init; }

    /// <summary>
    /// [M] bool: the rows scored by the universal logit distance (sorted probabilities, for positions whose teacher
    /// token differs from the student's) instead of the divergence; null when there are none.
    /// </summary>
    public Tensor? UldRows { get; init; }
}
