using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>
/// Total variation distance ½·Σ |p − q| (as DistillKit offers it; DistiLLM and Wen et al. 2023 study it for LLM KD),
/// in [0, 1]. On a top-K support the student's tail mass t faces a teacher with none there and adds ½·t.
/// </summary>
internal sealed class TotalVariation : DivergenceFunction
{
    public static readonly TotalVariation Instance = new();

    private TotalVariation() { }

    public override Tensor PerPosition(Tensor studentLog, Tensor teacherLog) =>
        (teacherLog.exp() - studentLog.exp()).abs().sum(-1).Plus(StudentTail(studentLog)).Times(0.5); // [M]
}
