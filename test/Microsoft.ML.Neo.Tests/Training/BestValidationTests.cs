using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Training;

/// <summary>
/// Early stopping and the best weights in the trainer, on a scripted validation curve: the run stops after the patience
/// runs out, and the weights it ends with are those recorded after the best step.
/// </summary>
[TestClass]
public sealed class BestValidationTests
{
    // The validation losses of steps 1-10: best at step 3, then worse (step 5 ties it: not an improvement).
    private static readonly double[] Curve = { 5.0, 4.0, 3.0, 3.5, 3.0, 3.7, 3.8, 3.9, 4.0, 4.1 };

    private static (TrainingProgress Last, List<Tensor[]> WeightsAfter, Tensor[] Final, List<string> Messages) Train(int patience, bool keepBest)
    {
        manual_seed(1);
        using var student = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 32));
        LoraInjector.Apply(student, new LoraSettings { Rank = 4 });
        var encoder = new PromptResponseEncoder(EmbeddedTask.CreateTokenizer(), 128);
        var examples = ArithmeticWordProblems.Generate(20, 1).Select(p => encoder.Encode(p.Prompt, p.Solution)!).ToList();
        var settings = new TrainerSettings { BatchSize = 2, LearningRate = 1e-2, EarlyStoppingPatience = patience, KeepBestWeights = keepBest };
        var adapters = LoraInjector.AdapterParameters(student).Select(p => p.Parameter).ToList();
        var weightsAfter = new List<Tensor[]>();
        var messages = new List<string>();
        var trainer = new CausalLMTrainer(student, new ShuffledExampleBatches(examples, settings.BatchSize, settings.Seed),
            new DistillationObjective(teacher: null, LossSettings.CrossEntropyOnly), settings, padId: 2)
        {
            ValidationLossAt = (step, _) => Curve[step - 1],
            OnStep = _ => weightsAfter.Add(adapters.Select(p => p.detach().clone()).ToArray()),
            OnInformation = messages.Add,
        };
        var last = trainer.Train()!;
        return (last, weightsAfter, adapters.Select(p => p.detach().clone()).ToArray(), messages);
    }

    private static bool Same(Tensor[] a, Tensor[] b) => a.Zip(b).All(p => TensorAssert.Identical(p.First, p.Second));

    [TestMethod]
    public void PatienceStopsTheRunAndTheBestStepsWeightsAreKept()
    {
        var (last, weightsAfter, final, messages) = Train(patience: 3, keepBest: true);
        Assert.AreEqual(6, weightsAfter.Count, "steps 4, 5 and 6 do not beat step 3 (a tie is not an improvement): stop after step 6");
        Assert.AreEqual(6, last.Step);
        Assert.AreEqual(3, last.BestValidationStep);
        Assert.AreEqual(3.0, last.BestValidationLoss);
        Assert.IsTrue(Same(final, weightsAfter[2]), "the weights after step 3");
        Assert.IsFalse(Same(final, weightsAfter[5]), "not the last step's");
        Assert.IsTrue(messages.Any(m => m.StartsWith("Early stopping at step 6", StringComparison.Ordinal)), string.Join("\n", messages));
        Assert.IsTrue(messages.Any(m => m.StartsWith("Kept the weights of step 3,", StringComparison.Ordinal)), string.Join("\n", messages));
    }

    [TestMethod]
    public void WithoutPatienceOrKeepBestTheRunEndsAsBefore()
    {
        var (_, weightsAfter, final, messages) = Train(patience: 0, keepBest: false);
        Assert.AreEqual(10, weightsAfter.Count, "all 10 steps");
        Assert.IsTrue(Same(final, weightsAfter[^1]), "the last step's weights");
        Assert.AreEqual(0, messages.Count);

        var (_, keptAll, keptFinal, _) = Train(patience: 0, keepBest: true);
        Assert.AreEqual(10, keptAll.Count);
        Assert.IsTrue(Same(keptFinal, keptAll[2]), "the best step's weights at the end of a full run");
    }
}
