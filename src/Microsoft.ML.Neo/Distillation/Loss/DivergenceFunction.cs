using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>
/// A divergence between the teacher's and the student's temperature-softened distributions at each response position,
/// given as log-probabilities on a shared support: the whole vocabulary (online teacher), or the teacher's top-K ids
/// (cached or served teacher).
/// <para>
/// On a top-K support the teacher's log-probabilities are renormalised over its K ids (its tail is unknown), while the
/// student's are its full-vocabulary log-probabilities gathered at those ids, so they sum to at most 1 and the mass
/// the student puts outside the support still acts through its normaliser. With K equal to the vocabulary both
/// supports give the same value.
/// </para>
/// </summary>
internal abstract class DivergenceFunction
{
    /// <param name="studentLog">[M, S] student log-probabilities on the support.</param>
    /// <param name="teacherLog">[M, S] teacher log-probabilities on the support (no gradient).</param>
    /// <returns>[M] the divergence at each position.</returns>
    public abstract Tensor PerPosition(Tensor studentLog, Tensor teacherLog);

    public static DivergenceFunction For(Divergence divergence) => divergence switch
    {
        Divergence.ForwardKL => ForwardKl.Instance,
        Divergence.ReverseKL => ReverseKl.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(divergence), divergence, "Unknown divergence."),
    };

    /// <summary>
    /// KL(p ‖ q) = Σ p (log p − log q) with p the teacher and q the student. On a top-K support this is the cross-entropy
    /// against the renormalised teacher minus its entropy, so the missing tail simply carries no target mass.
    /// </summary>
    private sealed class ForwardKl : DivergenceFunction
    {
        public static readonly ForwardKl Instance = new();

        public override Tensor PerPosition(Tensor studentLog, Tensor teacherLog) =>
            (teacherLog.exp() * (teacherLog - studentLog)).sum(-1); // [M]
    }

    /// <summary>
    /// KL(q ‖ p) = Σ q (log q − log p). On a top-K support the sum runs over the K ids only: the student's mass outside
    /// them is not counted, since the teacher's log-probability there is unknown.
    /// </summary>
    private sealed class ReverseKl : DivergenceFunction
    {
        public static readonly ReverseKl Instance = new();

        public override Tensor PerPosition(Tensor studentLog, Tensor teacherLog) =>
            (studentLog.exp() * (studentLog - teacherLog)).sum(-1); // [M]
    }
}
