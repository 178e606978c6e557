using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Training;

/// <summary>
/// Gradient accumulation (NeoDistillOptions.MicroBatchSize): micro-batches whose losses are averaged over the whole
/// step's response tokens give the loss and gradients of the whole batch, so a Fit takes the same steps.
/// </summary>
[TestClass]
public sealed class GradientAccumulationTests
{
    [TestMethod]
    [DataRow(2)]
    [DataRow(5)] // the last micro-batch is short
    public void MicroBatchesGiveTheLossAndGradientsOfTheWholeBatch(int microBatch)
    {
        manual_seed(41);
        using var teacher = new LocalTeacher(new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 64, context: 512)), folder: null);
        var encoder = new PromptResponseEncoder(EmbeddedTask.CreateTokenizer(), 512);
        // Problems of every template: responses of very different lengths, so padding differs between micro-batches.
        var examples = ArithmeticWordProblems.Generate(16, seed: 9).Select(p => encoder.Encode(p.Prompt, p.Solution)!).ToList();
        Assert.IsTrue(examples.Select(e => e.ResponseTokenCount).Distinct().Count() > 3, "lengths vary");
        var settings = new LossSettings(0.5f, 2f, Divergence.ForwardKL);

        var (whole, wholeGradients) = Accumulate(teacher, examples, settings, examples.Count);
        var (parts, partGradients) = Accumulate(teacher, examples, settings, microBatch);
        Assert.AreEqual(whole.Total, parts.Total, 1e-5 * Math.Abs(whole.Total), "loss");
        Assert.AreEqual(whole.CrossEntropy, parts.CrossEntropy, 1e-5 * whole.CrossEntropy, "cross-entropy");
        Assert.AreEqual(whole.Divergence, parts.Divergence, 1e-5 * Math.Max(whole.Divergence, 1e-6), "divergence");
        for (int i = 0; i < wholeGradients.Count; i++)
        {
            double scale = Math.Max(wholeGradients[i].abs().max().item<float>(), 1e-12);
            double error = (wholeGradients[i] - partGradients[i]).abs().max().item<float>() / scale;
            Assert.IsTrue(error <= 1e-5, $"gradient {i}: relative error {error:E2}");
        }

        // Normalising each micro-batch by its own tokens instead (the mistake accumulation must avoid) is measurably off
        // where the parts differ most in size: the test can tell the two apart.
        if (microBatch == 5)
        {
            var (perPart, _) = Accumulate(teacher, examples, settings, microBatch, normaliseByStep: false);
            Assert.IsTrue(Math.Abs(perPart.Total / 4 - whole.Total) > 1e-3 * whole.Total, $"{perPart.Total / 4} against {whole.Total}");
        }
    }

    // Zeroed gradients, then the micro-batches' backward passes added up, as the trainer's step does.
    private static (LossTerms Terms, List<Tensor> Gradients) Accumulate(ITeacher teacher, List<EncodedExample> examples, LossSettings settings,
        int microBatch, bool normaliseByStep = true)
    {
        manual_seed(13);
        using var student = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 32, context: 512));
        LoraInjector.Apply(student, new LoraSettings { Rank = 4 });
        using (no_grad())
            foreach (var (_, p) in LoraInjector.AdapterParameters(student)) p.normal_(0, 0.05);
        student.train();
        var objective = new DistillationObjective(teacher, settings);
        long stepRows = TokenBatch.CountResponseTokens(examples);
        double total = 0, crossEntropy = 0, divergence = 0;
        foreach (var part in examples.Chunk(microBatch))
        {
            using var scope = NewDisposeScope();
            var batch = TokenBatch.Create(part, padId: 2);
            var terms = objective.Backward(student, batch, new StepPhases(), normaliseByStep ? stepRows : batch.ResponseTokenCount);
            (total, crossEntropy, divergence) = (total + terms.Total, crossEntropy + terms.CrossEntropy, divergence + terms.Divergence);
        }
        var gradients = LoraInjector.AdapterParameters(student).Select(p => p.Parameter.grad!.detach().clone()).ToList();
        return (new LossTerms(total, crossEntropy, divergence), gradients);
    }

    [TestMethod]
    public void AMicroBatchAboveTheBatchIsRefusedNamingBoth()
    {
        var options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", BatchSize = 8, MicroBatchSize = 9 };
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate);
        StringAssert.Contains(error.Message, "MicroBatchSize");
        StringAssert.Contains(error.Message, "BatchSize (8)");
        options.MicroBatchSize = -1;
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate);
        options.MicroBatchSize = 8;
        options.Validate();
    }
}
