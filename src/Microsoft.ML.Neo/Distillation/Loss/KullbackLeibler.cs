using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>The two Kullback-Leibler divergences between teacher p and student q.</summary>
internal sealed class KullbackLeibler : DivergenceFunction
{
    /// <summary>
    /// KL(p ‖ q) = Σ p (log p − log q) (Hinton et al. 2015; LLM-NEO). On a top-K support this is the cross-entropy against
    /// the renormalised teacher minus its entropy: the tail carries no target mass and adds nothing.
    /// </summary>
    public static readonly KullbackLeibler Forward = new(reverse: false);

    /// <summary>
    /// KL(q ‖ p) = Σ q (log q − log p) (MiniLLM). On a top-K support the sum runs over the K ids only: against a teacher
    /// with no mass on the tail the student's tail would make it infinite, so it is left out.
    /// </summary>
    public static readonly KullbackLeibler Reverse = new(reverse: true);

    private readonly bool reverse;

    private KullbackLeibler(bool reverse) => this.reverse = reverse;

    public override Tensor PerPosition(Tensor studentLog, Tensor teacherLog) =>
        reverse ? KlOnSupport(studentLog, teacherLog) : KlOnSupport(teacherLog, studentLog); // [M]
}
