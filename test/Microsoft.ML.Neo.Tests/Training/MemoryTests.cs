using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Training;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class MemoryTests
{
    [TestMethod]
    [DataRow(ScalarType.Float32, "llama")]
    [DataRow(ScalarType.BFloat16, "llama")]
    [DataRow(ScalarType.Float32, "qwen3")]
    [DataRow(ScalarType.Float32, "gemma3_text")]
    [DataRow(ScalarType.Float32, "phi3")]
    [DataRow(ScalarType.Float32, "smollm3")]
    [DataRow(ScalarType.Float32, "llama", WeightQuantization.Int8)]
    [DataRow(ScalarType.BFloat16, "llama", WeightQuantization.NF4)]
    public void LiveTensorCountStaysFlatOver50TrainingSteps(ScalarType dtype, string family, WeightQuantization quantization = WeightQuantization.None)
    {
        manual_seed(1);
        using var student = new DecoderForCausalLM(TinyCheckpoints.AsFamily(TinyCheckpoints.Config(hidden: 32), family), dtype);
        var teacherModel = new DecoderForCausalLM(TinyCheckpoints.AsFamily(TinyCheckpoints.Config(hidden: 64), family), dtype);
        LoraInjector.Apply(student, new LoraSettings { Rank = 4 });
        // A quantized base and teacher dequantize in every pass: those tensors must not outlive it either.
        Microsoft.ML.Neo.Modeling.Quantization.WeightQuantizer.Apply(student, quantization);
        Microsoft.ML.Neo.Modeling.Quantization.WeightQuantizer.Apply(teacherModel, quantization);
        using var teacher = new LocalTeacher(teacherModel, folder: null);
        var tokenizer = EmbeddedTask.CreateTokenizer();
        var encoder = new PromptResponseEncoder(tokenizer, 128);
        var examples = ArithmeticWordProblems.Generate(16, 1).Select(p => encoder.Encode(p.Prompt, p.Solution)!).ToList();

        var live = new List<long>();
        var settings = new TrainerSettings { Epochs = 100, BatchSize = 4, MaxSteps = 50 };
        var trainer = new CausalLMTrainer(student, new ShuffledExampleBatches(examples, settings.BatchSize, settings.Seed),
            new DistillationObjective(teacher, new LossSettings(0.5f, 2, Divergence.ForwardKL)), settings, padId: 2)
        { OnStep = _ => live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount) };
        trainer.Train();

        Assert.AreEqual(50, live.Count);
        // After warm-up (optimizer state is created on the first step), nothing may accumulate.
        Assert.AreEqual(live[5], live[^1], $"live tensors grew: {string.Join(", ", live)}");

        // Generation with a KV cache must not leak either.
        var model = new CausalLM(student, null);
        model.Generate(new[] { 1, 5, 6 }, new GenerationOptions { MaxNewTokens = 5 });
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        // 20 new tokens pass the families' sliding windows (8 and 12 tokens).
        for (int i = 0; i < 5; i++) model.Generate(new[] { 1, 5, 6 }, new GenerationOptions { MaxNewTokens = 20 });
        Assert.AreEqual(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "generation leaked tensors");
    }

    [TestMethod]
    public void LiveTensorCountStaysFlatOver50ChunkedStepsFromACachedTeacher()
    {
        using var folder = new TempDirectory();
        string teacherPath = TinyCheckpoints.Create(folder.Sub("teacher"), TinyCheckpoints.Config(hidden: 64), seed: 2);
        manual_seed(1);
        using var student = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 32));
        LoraInjector.Apply(student, new LoraSettings { Rank = 4 });
        var encoder = new PromptResponseEncoder(EmbeddedTask.CreateTokenizer(), 128);
        var examples = ArithmeticWordProblems.Generate(16, 1).Select(p => encoder.Encode(p.Prompt, p.Solution)!).ToList();
        using var teacher = new CachedTeacher(LocalTeacher.Load(teacherPath, CPU), folder.Sub("cache"), topK: 16);
        teacher.PrepareScores(examples, student.Config.VocabSize, padId: 2, _ => { });

        var live = new List<long>();
        var settings = new TrainerSettings { Epochs = 100, BatchSize = 4, MaxSteps = 50 };
        var trainer = new CausalLMTrainer(student, new ShuffledExampleBatches(examples, settings.BatchSize, settings.Seed),
            new DistillationObjective(teacher, new LossSettings(0.5f, 2, Divergence.ReverseKL) { ChunkRows = 16 }), settings, padId: 2)
        { OnStep = _ => live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount) };
        trainer.Train();

        Assert.AreEqual(50, live.Count);
        Assert.AreEqual(live[5], live[^1], $"live tensors grew: {string.Join(", ", live)}");
    }

    [TestMethod]
    [DataRow(Finetuning.Lora)]
    [DataRow(Finetuning.Full)]
    public void LiveTensorCountStaysFlatOver40OnPolicyStepsWithEveryDivergence(Finetuning finetuning)
    {
        manual_seed(1);
        using var student = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 32));
        using var teacher = new LocalTeacher(new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 64)), folder: null);
        (finetuning == Finetuning.Full ? TrainableSet.AllWeights : TrainableSet.Adapters(new LoraSettings { Rank = 4 })).ApplyTo(student);
        var encoder = new PromptResponseEncoder(EmbeddedTask.CreateTokenizer(), 128);
        var examples = ArithmeticWordProblems.Generate(16, 1).Select(p => encoder.Encode(p.Prompt, p.Solution)!).ToList();

        var live = new List<long>();
        var divergences = Enum.GetValues<Divergence>();
        var settings = new TrainerSettings { Epochs = 100, BatchSize = 4, MaxSteps = 40 };
        var batches = new Microsoft.ML.Neo.Distillation.OnPolicy.OnPolicyBatches(new ShuffledExampleBatches(examples, settings.BatchSize, settings.Seed),
            new Microsoft.ML.Neo.Distillation.OnPolicy.OnPolicySettings(0.5f, 1, 8), encoder, new[] { 2 }, seed: 1);
        foreach (var divergence in divergences)
        {
            var trainer = new CausalLMTrainer(student, batches, new DistillationObjective(teacher, new LossSettings(0.5f, 2, divergence)), settings, padId: 2)
            { OnStep = _ => live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount) };
            trainer.Train();
        }

        Assert.AreEqual(40 * divergences.Length, live.Count);
        // After the first run's warm-up nothing may accumulate, across on- and off-policy steps and every divergence.
        Assert.IsTrue(live.Skip(5).All(count => count == live[5]), $"live tensors changed: {string.Join(", ", live)}");
    }
}
