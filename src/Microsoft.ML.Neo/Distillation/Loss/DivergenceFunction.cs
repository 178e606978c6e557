using TorchSharp;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>
/// A divergence between the teacher's (p) and the student's (q) temperature-softened distributions at each response
/// position, given as log-probabilities on a shared support: the whole vocabulary (online teacher), or the teacher's
/// top-K ids (cached or served teacher).
/// <para>
/// On a top-K support the teacher is its K log-probabilities renormalised over those ids, so it puts no mass on the tail
/// it did not report. The student's log-probabilities are its full-vocabulary ones gathered at the K ids; they sum to at
/// most 1, and the rest, its tail mass (<see cref="StudentTail"/>), is one bucket where the teacher has 0. Every
/// divergence that stays finite against such a teacher counts that bucket exactly (the terms it adds are linear in the
/// tail's mass); reverse KL, infinite there, sums over the support only. With K equal to the vocabulary the tail is
/// empty and both supports give the same value.
/// </para>
/// </summary>
internal abstract class DivergenceFunction
{
    /// <param name="studentLog">[M, S] student log-probabilities on the support.</param>
    /// <param name="teacherLog">[M, S] teacher log-probabilities on the support (no gradient).</param>
    /// <returns>[M] the divergence at each position.</returns>
    public abstract Tensor PerPosition(Tensor studentLog, Tensor teacherLog);

    /// <summary>The divergence the settings name, with their β or α.</summary>
    public static DivergenceFunction For(LossSettings settings) => settings.Divergence switch
    {
        Divergence.ForwardKL => KullbackLeibler.Forward,
        Divergence.ReverseKL => KullbackLeibler.Reverse,
        Divergence.JensenShannon => settings.JsdBeta switch
        {
            // TRL's ends: the generalized JSD itself vanishes at both, the KLs are its limits' directions.
            0 => KullbackLeibler.Forward,
            1 => KullbackLeibler.Reverse,
            var beta => new JensenShannon(beta),
        },
        Divergence.TotalVariation => TotalVariation.Instance,
        Divergence.SkewedForwardKL => SkewedKullbackLeibler.Forward(settings.SkewAlpha),
        Divergence.SkewedReverseKL => SkewedKullbackLeibler.Reverse(settings.SkewAlpha),
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Divergence, "Unknown divergence."),
    };

    /// <summary>KL(x ‖ y) = Σ x (log x − log y) over the support, from log-probabilities.</summary>
    /// <returns>[M]</returns>
    protected static Tensor KlOnSupport(Tensor logX, Tensor logY) => (logX.exp() * (logX - logY)).sum(-1);

    /// <summary>log(w·x + (1 − w)·y) from log x and log y, for 0 &lt; w &lt; 1, without leaving log space.</summary>
    /// <returns>[M, S]</returns>
    protected static Tensor LogMixture(Tensor logX, double w, Tensor logY) => logX.Plus(Math.Log(w)).logaddexp(logY.Plus(Math.Log(1 - w)));

    /// <summary>The student's mass outside the support, 1 − Σ q (0 up to rounding on the whole vocabulary).</summary>
    /// <returns>[M]</returns>
    protected static Tensor StudentTail(Tensor studentLog)
    {
        using var zero = 0.ToScalar();
        return studentLog.exp().sum(-1).neg().Plus(1).clamp_min(zero);
    }
}
