namespace Microsoft.ML.Neo;

/// <summary>
/// Which divergence between the temperature-softened teacher (p) and student (q) distributions the KD term uses.
/// docs/concepts.md gives each formula, its source, and how it treats the tail a top-K teacher leaves out.
/// </summary>
public enum Divergence
{
    /// <summary>KL(p ‖ q): the student covers every mode of the teacher (mean-seeking). LLM-NEO's choice.</summary>
    ForwardKL,

    /// <summary>KL(q ‖ p): the student concentrates on the teacher's main modes (mode-seeking), as in MiniLLM.</summary>
    ReverseKL,

    /// <summary>
    /// Generalized Jensen-Shannon divergence JSD(β) = β·KL(p ‖ m) + (1 − β)·KL(q ‖ m) with m = β·p + (1 − β)·q, as in
    /// GKD and TRL; β is <see cref="NeoDistillOptions.JsdBeta"/>. β = 0 is forward KL and β = 1 reverse KL, as TRL
    /// defines the ends; in between it is bounded (by ln 2 at β = 0.5, less nearer the ends), so it needs a larger KD weight or learning rate
    /// than the KLs to move the student as far.
    /// </summary>
    JensenShannon,

    /// <summary>Total variation distance ½·Σ |p − q|, in [0, 1], as in DistillKit: bounded and symmetric.</summary>
    TotalVariation,

    /// <summary>
    /// DistiLLM's α-skew KL: KL(p ‖ α·p + (1 − α)·q), α being <see cref="NeoDistillOptions.SkewAlpha"/>. Mixing some of the
    /// teacher into the student's side keeps the gradient bounded where the student gives a teacher token almost no mass.
    /// </summary>
    SkewedForwardKL,

    /// <summary>DistiLLM's α-skew reverse KL: KL(q ‖ (1 − α)·p + α·q), α being <see cref="NeoDistillOptions.SkewAlpha"/>.</summary>
    SkewedReverseKL,
}
