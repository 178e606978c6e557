using Microsoft.ML.Neo.Training;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.Loss;

/// <summary>
/// The chunked loss (heads, loss and backward over a few response rows at a time, the body backpropagated once) gives
/// the losses and gradients of one chunk holding every row.
/// </summary>
[TestClass]
public sealed class ChunkedLossTests
{
    private const int Rows = 1 << 20; // one chunk: the unchunked reference

    [TestMethod]
    [DataRow(Divergence.ForwardKL, 1f, 0.5f, 3)]
    [DataRow(Divergence.ForwardKL, 2f, 0.9f, 7)]
    [DataRow(Divergence.ReverseKL, 1f, 0.5f, 5)]
    [DataRow(Divergence.ReverseKL, 5.94f, 0.39f, 1)]
    [DataRow(Divergence.ForwardKL, 2f, 0f, 4)]
    public void ChunksGiveTheLossAndGradientsOfTheWholeBatch(Divergence divergence, float temperature, float kdWeight, int chunk)
    {
        // A primed batch and a teacher whose vocabulary is padded beyond the student's.
        using var teacher = new LocalTeacher(Model(hidden: 64, vocab: TinyCheckpoints.TokenizerSize + 9, seed: 11), folder: null);
        AssertChunksAgree(teacher, Examples(PrimingStrategy.GroundTruth), new LossSettings(kdWeight, temperature, divergence), chunk);
    }

    [TestMethod]
    [DataRow(Divergence.ForwardKL)]
    [DataRow(Divergence.ReverseKL)]
    public void ChunksOfCachedTopKScoresGiveTheLossAndGradientsOfTheWholeBatch(Divergence divergence)
    {
        using var folder = new TempDirectory();
        string teacherPath = TinyCheckpoints.Create(folder.Sub("teacher"), TinyCheckpoints.Config(hidden: 64, context: 512), seed: 12);
        var examples = Examples(PrimingStrategy.Teacher);
        using var teacher = new CachedTeacher(LocalTeacher.Load(teacherPath, CPU), folder.Sub("cache"), topK: 16);
        teacher.PrepareScores(examples, TinyCheckpoints.TokenizerSize, padId: 2, _ => { });
        AssertChunksAgree(teacher, examples, new LossSettings(0.7f, 2, divergence), chunk: 6);
    }

    private static void AssertChunksAgree(ITeacher teacher, List<EncodedExample> examples, LossSettings settings, int chunk)
    {
        var (whole, wholeGradients) = Step(teacher, examples, settings with { ChunkRows = Rows });
        var (chunked, chunkedGradients) = Step(teacher, examples, settings with { ChunkRows = chunk });
        Assert.AreEqual(whole.Total, chunked.Total, 1e-5 * Math.Max(1, Math.Abs(whole.Total)), "loss");
        Assert.AreEqual(whole.CrossEntropy, chunked.CrossEntropy, 1e-5 * Math.Max(1, whole.CrossEntropy), "cross-entropy");
        Assert.AreEqual(whole.Divergence, chunked.Divergence, 1e-5 * Math.Max(1, whole.Divergence), "divergence");
        Assert.AreEqual(wholeGradients.Count, chunkedGradients.Count);
        for (int i = 0; i < wholeGradients.Count; i++)
        {
            double scale = Math.Max(wholeGradients[i].abs().max().item<float>(), 1e-12);
            double error = (wholeGradients[i] - chunkedGradients[i]).abs().max().item<float>() / scale;
            Assert.IsTrue(error <= 1e-5, $"gradient {i}: relative error {error:E2}");
        }
        Assert.IsTrue(wholeGradients.Any(g => g.abs().max().item<float>() > 0), "the adapters received gradient");
    }

    // One backward pass of a fresh, seeded student with LoRA adapters; returns the loss terms and the adapters' gradients.
    private static (Microsoft.ML.Neo.Training.LossTerms Terms, List<Tensor> Gradients) Step(ITeacher teacher, List<EncodedExample> examples, LossSettings settings)
    {
        using var student = Model(hidden: 32, vocab: TinyCheckpoints.TokenizerSize, seed: 13);
        LoraInjector.Apply(student, new LoraSettings { Rank = 4 });
        // B starts at zero; give it values so that every adapter parameter has a gradient.
        using (no_grad())
            foreach (var (_, p) in LoraInjector.AdapterParameters(student)) p.normal_(0, 0.05);
        student.train();
        var batch = TokenBatch.Create(examples, padId: 2);
        var terms = new DistillationObjective(teacher, settings).Backward(student, batch, new StepPhases(), batch.ResponseTokenCount);
        var gradients = LoraInjector.AdapterParameters(student).Select(p => p.Parameter.grad!.detach().clone()).ToList();
        return (terms, gradients);
    }

    private static DecoderForCausalLM Model(int hidden, int vocab, int seed)
    {
        manual_seed(seed);
        return new DecoderForCausalLM(TinyCheckpoints.Config(hidden: hidden, vocab: vocab, context: 512));
    }

    private static List<EncodedExample> Examples(PrimingStrategy priming)
    {
        var encoder = new PromptResponseEncoder(EmbeddedTask.CreateTokenizer(), 512);
        return ArithmeticWordProblems.Generate(3, seed: 5).Select(p => encoder.Encode(p.Prompt, p.Solution, PrimingPrompts.Render(priming, p.Prompt))!).ToList();
    }

    [TestMethod]
    public void AutomaticChunksHoldA32MiBBlockOfLogits()
    {
        var automatic = new LossSettings(0.5f, 2, Divergence.ForwardKL);
        Assert.AreEqual(64L, automatic.RowsPerChunk(128_256), "Llama 3");
        Assert.AreEqual(256L, automatic.RowsPerChunk(32_000), "Llama 2");
        Assert.AreEqual(1L << 13, automatic.RowsPerChunk(518), "the embedded task: a whole batch at once");
        Assert.AreEqual(1L, automatic.RowsPerChunk(int.MaxValue), "never 0");
        Assert.AreEqual(1000L, (automatic with { ChunkRows = 1000 }).RowsPerChunk(128_256), "an explicit size wins");
        var options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", LossChunkSize = -1 };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate).Message, "0 (automatic)");
    }
}
