using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Modeling;

/// <summary>Activation checkpointing of the student's layers gives the same step as keeping every activation.</summary>
[TestClass]
public sealed class CheckpointedPassTests
{
    [TestMethod]
    [DataRow(0f)]
    [DataRow(0.2f)]
    public void CheckpointedStepGivesTheSameLossGradientsAndRandomState(float dropout)
    {
        using var teacher = new LocalTeacher(Model(hidden: 64, seed: 21), folder: null);
        var encoder = new PromptResponseEncoder(EmbeddedTask.CreateTokenizer(), 256);
        var examples = ArithmeticWordProblems.Generate(4, seed: 6).Select(p => encoder.Encode(p.Prompt, p.Solution)!).ToList();
        var settings = new LossSettings(0.5f, 2, Divergence.ForwardKL) { ChunkRows = 7 };

        (LossTerms Terms, List<Tensor> Gradients, float NextRandom) Step(bool checkpoint)
        {
            using var student = Model(hidden: 32, seed: 22);
            LoraInjector.Apply(student, new LoraSettings { Rank = 4, Dropout = dropout });
            using (no_grad())
                foreach (var (_, p) in LoraInjector.AdapterParameters(student)) p.normal_(0, 0.05);
            student.train();
            manual_seed(99); // the dropout masks start from the same state in both runs
            var batch = TokenBatch.Create(examples, padId: 2);
            var terms = new DistillationObjective(teacher, settings, checkpoint).Backward(student, batch, new StepPhases(), batch.ResponseTokenCount);
            var gradients = LoraInjector.AdapterParameters(student).Select(p => p.Parameter.grad!.detach().clone()).ToList();
            return (terms, gradients, rand(1).item<float>());
        }

        var kept = Step(checkpoint: false);
        var recomputed = Step(checkpoint: true);
        Assert.AreEqual(kept.Terms.Total, recomputed.Terms.Total, 1e-6 * Math.Abs(kept.Terms.Total), "loss");
        for (int i = 0; i < kept.Gradients.Count; i++)
        {
            double scale = Math.Max(kept.Gradients[i].abs().max().item<float>(), 1e-12);
            double error = (kept.Gradients[i] - recomputed.Gradients[i]).abs().max().item<float>() / scale;
            Assert.IsTrue(error <= 1e-5, $"gradient {i}: relative error {error:E2}");
        }
        Assert.IsTrue(kept.Gradients.All(g => g.abs().max().item<float>() > 0), "every adapter received gradient");
        Assert.AreEqual(kept.NextRandom, recomputed.NextRandom, "the generator continues as if nothing was recomputed");
    }

    [TestMethod]
    public void LiveTensorCountStaysFlatOverCheckpointedSteps()
    {
        manual_seed(1);
        using var student = Model(hidden: 32, seed: 23);
        using var teacher = new LocalTeacher(Model(hidden: 64, seed: 24), folder: null);
        LoraInjector.Apply(student, new LoraSettings { Rank = 4, Dropout = 0.1f });
        var encoder = new PromptResponseEncoder(EmbeddedTask.CreateTokenizer(), 256);
        var examples = ArithmeticWordProblems.Generate(16, 1).Select(p => encoder.Encode(p.Prompt, p.Solution)!).ToList();
        var live = new List<long>();
        var settings = new TrainerSettings { Epochs = 100, BatchSize = 4, MaxSteps = 30 };
        var trainer = new CausalLMTrainer(student, new ShuffledExampleBatches(examples, settings.BatchSize, settings.Seed),
            new DistillationObjective(teacher, new LossSettings(0.5f, 2, Divergence.ForwardKL), checkpointLayers: true), settings, padId: 2)
        { OnStep = _ => live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount) };
        trainer.Train();
        Assert.AreEqual(30, live.Count);
        Assert.AreEqual(live[5], live[^1], $"live tensors grew: {string.Join(", ", live)}");
    }

    private static DecoderForCausalLM Model(int hidden, int seed)
    {
        manual_seed(seed);
        return new DecoderForCausalLM(TinyCheckpoints.Config(hidden: hidden, layers: 3, context: 256));
    }
}
