using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>
/// DistiLLM's α-skew KL divergences (Ko et al., ICML 2024), which mix some of the distribution in the first argument
/// into the second, so the log of the second never goes far below log α of the first: the gradient stays bounded where
/// the student gives a likely token almost nothing.
/// </summary>
internal sealed class SkewedKullbackLeibler : DivergenceFunction
{
    private readonly double alpha;
    private readonly bool reverse;

    private SkewedKullbackLeibler(double alpha, bool reverse)
    {
        if (!(alpha is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The skew α must be in (0, 1).");
        this.alpha = alpha;
        this.reverse = reverse;
    }

    /// <summary>
    /// SKL(α) = KL(p ‖ α·p + (1 − α)·q). α → 0 gives forward KL. On a top-K support the teacher has no tail mass, so the
    /// tail adds nothing, as for forward KL.
    /// </summary>
    public static SkewedKullbackLeibler Forward(double alpha) => new(alpha, reverse: false);

    /// <summary>
    /// SRKL(α) = KL(q ‖ (1 − α)·p + α·q). α → 0 gives reverse KL. On a top-K support the student's tail mass t meets a
    /// mixture of α·q there, which adds exactly t·log(1/α): unlike reverse KL, the tail counts.
    /// </summary>
    public static SkewedKullbackLeibler Reverse(double alpha) => new(alpha, reverse: true);

    public override Tensor PerPosition(Tensor studentLog, Tensor teacherLog)
    {
        if (!reverse) return KlOnSupport(teacherLog, LogMixture(teacherLog, alpha, studentLog)); // [M]
        var onSupport = KlOnSupport(studentLog, LogMixture(studentLog, alpha, teacherLog));     // [M]
        return onSupport.Plus(StudentTail(studentLog).Times(-Math.Log(alpha)));
    }
}
