using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>
/// The universal logit distillation loss (Boizard et al. 2024, "Towards Cross-Tokenizer Distillation"): with no shared
/// vocabulary, compare the two distributions' probabilities sorted from largest to smallest,
/// ULD = Σ_i |p_(i) − q_(i)|, the Wasserstein-1 distance between them under a cost that ignores which token is which.
/// Here both sides keep their top K (the teacher's K, as cached or served; the student's K largest), so the tails
/// beyond K are left out, as the paper pads the shorter vocabulary with zeros.
/// </summary>
internal static class UniversalLogitDistance
{
    /// <param name="studentLogits">[M, V] the student's logits, already divided by the temperature.</param>
    /// <param name="teacherLogits">[M, K] the teacher's top-K logits (any order), already divided by the temperature.</param>
    /// <returns>[M] the distance at each position.</returns>
    public static Tensor PerPosition(Tensor studentLogits, Tensor teacherLogits)
    {
        long k = Math.Min(teacherLogits.shape[1], studentLogits.shape[1]);
        var teacher = nn.functional.softmax(teacherLogits, -1).sort(-1, descending: true).Values.narrow(1, 0, k); // [M, K]
        var student = nn.functional.softmax(studentLogits, -1).topk((int)k, -1).values;                        // [M, K], largest first
        return (teacher - student).abs().sum(-1);                                                               // [M]
    }
}
