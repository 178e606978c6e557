using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Tests.MLNet;
using Microsoft.ML.Neo.Tests.Training;

namespace Microsoft.ML.Neo.Tests.Lora;

/// <summary>The LoRA variants through a whole NeoDistill run: training, the model zip and resuming.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class LoraVariantDistillTests
{
    [TestMethod]
    public void DoraAndRsLoraStudentsTrainSaveAndLoadWithTheirVariant()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var rows = TrainingRows.Make(8);
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = fixture.Options(maxNewTokens: 6);
        options.UseDora = true;
        options.UseRsLora = true;
        var recorder = new ProgressRecorder();
        options.Progress = recorder;
        string zip = fixture.Sub("dora.zip");
        float[,] expected;
        using (var model = ml.Transforms.NeoDistill(options).Fit(data))
        {
            Assert.IsTrue(recorder.Reports.All(r => double.IsFinite(r.Loss)));
            Assert.IsTrue(model.Student.Model.Projections().All(p => p.Linear.Adapter is DoraAdapter { Settings.UseRsLora: true }));
            expected = model.Student.Logits(new[] { 1, 30, 31, 32 });
            ml.Model.Save(model, data.Schema, zip);
        }

        using var loaded = (NeoDistillTransformer)new MLContext(seed: 2).Model.Load(zip, out _);
        Assert.IsTrue(loaded.Settings.UseDora == true && loaded.Settings.UseRsLora == true, "the zip records the variant");
        CollectionAssert.AreEqual(expected.Cast<float>().ToArray(), loaded.Student.Logits(new[] { 1, 30, 31, 32 }).Cast<float>().ToArray());
    }

    [TestMethod]
    public void APissaRunKeepsItsBaseAndResumesBitExact()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(16)); // 4 steps of 4
        NeoDistillOptions Options()
        {
            var options = fixture.Options();
            options.LoraInitialization = LoraInitialization.Pissa;
            return options;
        }
        using (var model = ml.Transforms.NeoDistill(Options()).Fit(data))
        {
            // The base weights are the checkpoint's own: PiSSA's start lives in the adapters' frozen factors.
            using var original = CausalLM.FromPretrained(fixture.StudentPath);
            var trained = model.Student.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in original.Model.named_parameters())
                Assert.IsTrue(trained[name].to(parameter.dtype).eq(parameter).all().item<bool>(), $"{name} is untouched");
        }

        // The SVD start is recomputed on resuming, alike.
        CheckpointResumeTests.AssertResumesBitExact(Options, data, fixture.Sub("checkpoints"));
    }
}
