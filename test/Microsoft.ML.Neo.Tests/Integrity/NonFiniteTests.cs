using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Tests.MLNet;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Integrity;

/// <summary>
/// A step whose loss or gradient norm is not finite stops Fit (or is skipped, when allowed) before the optimizer applies
/// it; a model whose logits are not finite refuses to generate and to score.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class NonFiniteTests
{
    // Overwrites one weight of a folder's checkpoint with NaN: a broken teacher checkpoint, as a bad download or an
    // overflowed fine-tune leaves one.
    private static void PoisonFinalNorm(string folder)
    {
        using var model = CausalLM.FromPretrained(folder);
        using (no_grad())
            model.Model.named_parameters().Single(p => p.name == "model.norm.weight").parameter.fill_(double.NaN);
        model.SavePretrained(folder);
    }

    [TestMethod]
    public void ANaNTeacherStopsFitAtTheFirstStepAndNamesTheDivergence()
    {
        using var fixture = new DistillFixture();
        PoisonFinalNorm(fixture.TeacherPath);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(8));
        var options = fixture.Options();
        options.CheckpointDirectory = fixture.Sub("checkpoints");

        var error = Assert.ThrowsExactly<NonFiniteLossException>(() => ml.Transforms.NeoDistill(options).Fit(data));
        Assert.AreEqual(1, error.Step);
        Assert.IsTrue(double.IsFinite(error.CrossEntropy), "the student's own cross-entropy is fine");
        Assert.IsTrue(double.IsNaN(error.Divergence));
        StringAssert.Contains(error.Message, "step 1");
        StringAssert.Contains(error.Message, "points at the teacher");
        StringAssert.Contains(error.Message, "No checkpoint had been written yet");
        StringAssert.Contains(error.Message, "MaxSkippedNonFiniteSteps");
        Assert.IsFalse(File.Exists(Path.Combine(options.CheckpointDirectory, "trainer_state.json")), "nothing non-finite was saved");
    }

    [TestMethod]
    public void SkippedStepsLeaveTheWeightsUntouchedAndAreReported()
    {
        using var fixture = new DistillFixture();
        PoisonFinalNorm(fixture.TeacherPath);
        var ml = new MLContext(seed: 1);
        var warnings = BadInputTests.Warnings(ml);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(8)); // 2 steps
        var options = fixture.Options();
        options.MaxSkippedNonFiniteSteps = 2;

        using var model = ml.Transforms.NeoDistill(options).Fit(data);
        Assert.AreEqual(2, warnings.Count(w => w.Contains("the step was skipped")));
        StringAssert.Contains(warnings.First(w => w.Contains("skipped")), "Step 1:");
        // Every step was skipped, so the adapters are exactly as initialised: B zero, no NaN anywhere.
        foreach (var (name, parameter) in LoraInjector.AdapterParameters(model.Student.Model))
        {
            Assert.IsTrue(parameter.isfinite().all().item<bool>(), $"{name} is finite");
            if (name.EndsWith("lora_B", StringComparison.Ordinal)) Assert.AreEqual(0.0, parameter.abs().max().item<float>(), name);
        }

        options.MaxSkippedNonFiniteSteps = 1;
        var error = Assert.ThrowsExactly<NonFiniteLossException>(() => ml.Transforms.NeoDistill(options).Fit(data));
        Assert.AreEqual(2, error.Step, "one step may be skipped, the second stops the run");
        StringAssert.Contains(error.Message, "1 earlier non-finite steps were skipped");
    }

    [TestMethod]
    public void NonFiniteLogitsAreRefusedByGenerationAndScoring()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 7);
        PoisonFinalNorm(folder.Path);
        using var model = CausalLM.FromPretrained(folder.Path);
        var error = Assert.ThrowsExactly<NonFiniteLogitsException>(() => model.Generate(new[] { 1, 5, 6 }, new GenerationOptions { MaxNewTokens = 2 }));
        StringAssert.Contains(error.Message, "damaged");
        Assert.ThrowsExactly<NonFiniteLogitsException>(() => TokenLogprobs.Score(model.Model, new[] { 1, 5, 6 }, topK: 2));
    }

    [TestMethod]
    public void OptionIsValidatedAtTheBoundary()
    {
        using var fixture = new DistillFixture();
        var options = fixture.Options();
        options.MaxSkippedNonFiniteSteps = -1;
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().Transforms.NeoDistill(options));
        StringAssert.Contains(error.Message, "MaxSkippedNonFiniteSteps");
    }
}
