using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>
/// The generalized Jensen-Shannon divergence of GKD (Agarwal et al., ICLR 2024), as TRL defines it:
/// JSD(β) = β·KL(p ‖ m) + (1 − β)·KL(q ‖ m) with m = β·p + (1 − β)·q, for 0 &lt; β &lt; 1 (the ends are the KLs,
/// chosen in <see cref="DivergenceFunction.For"/>). It is at most the binary entropy of β (ln 2 at β = 0.5), so it tends to 0 at both ends.
/// On a top-K support the student's tail mass t meets m = (1 − β)·q there, which adds exactly (1 − β)·t·log(1/(1 − β)).
/// </summary>
internal sealed class JensenShannon : DivergenceFunction
{
    private readonly double beta;

    public JensenShannon(double beta)
    {
        if (!(beta is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be in (0, 1); 0 and 1 are the KLs.");
        this.beta = beta;
    }

    public override Tensor PerPosition(Tensor studentLog, Tensor teacherLog)
    {
        var mixture = LogMixture(teacherLog, beta, studentLog);                                                   // [M, S]
        var onSupport = KlOnSupport(teacherLog, mixture).Times(beta).Plus(KlOnSupport(studentLog, mixture).Times(1 - beta)); // [M]
        return onSupport.Plus(StudentTail(studentLog).Times((1 - beta) * -Math.Log(1 - beta)));
    }
}
