using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Lora;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.MLNet;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class NeoDistillEstimatorTests
{
    [TestMethod]
    public void FitChangesOnlyAdapterParameters()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(12));
        using var transformer = ml.Transforms.NeoDistill(fixture.Options()).Fit(data);

        using var reader = new SafeTensorsReader(Path.Combine(fixture.StudentPath, "model.safetensors"));
        int compared = 0;
        foreach (var (name, parameter) in transformer.Student.Model.named_parameters())
        {
            if (name.Contains(".lora."))
            {
                Assert.IsFalse(parameter.requires_grad && name.EndsWith("lora_B") && parameter.abs().sum().item<float>() == 0,
                    $"{name} was not trained");
                continue;
            }
            using var original = reader.ReadFloat32(name);
            Assert.IsTrue(TensorAssert.Identical(original, parameter), $"base weight {name} changed");
            compared++;
        }
        Assert.AreEqual(reader.Tensors.Count, compared, "every base weight was compared");
        Assert.IsTrue(LoraInjector.AdapterParameters(transformer.Student.Model).Any(p => p.Name.EndsWith("lora_B") && p.Parameter.abs().sum().item<float>() > 0));
        Assert.IsNotNull(transformer.TrainingSummary);
        Assert.AreEqual(3, transformer.TrainingSummary!.TotalSteps, "12 rows / batch 4");
    }

    [TestMethod]
    public void SameSeedGivesIdenticalWeightsAndAnotherSeedDoesNot()
    {
        using var fixture = new DistillFixture();
        var rows = TrainingRows.Make(8);
        Tensor[] Train(int seed)
        {
            var ml = new MLContext(seed: 1);
            var options = fixture.Options();
            options.Seed = seed;
            options.LoraDropout = 0.1f;
            using var transformer = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(rows));
            return LoraInjector.AdapterParameters(transformer.Student.Model).Select(p => p.Parameter.detach().clone()).ToArray();
        }
        var first = Train(7);
        var second = Train(7);
        var other = Train(8);
        Assert.AreEqual(first.Length, second.Length);
        for (int i = 0; i < first.Length; i++) Assert.IsTrue(TensorAssert.Identical(first[i], second[i]), $"adapter tensor {i} differs between identical runs");
        Assert.IsFalse(first.Zip(other).All(p => TensorAssert.Identical(p.First, p.Second)), "a different seed should give different adapters");
    }

    [TestMethod]
    public void ProgressReportsBothLossTerms()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var logged = new List<string>();
        ml.Log += (_, e) => { lock (logged) logged.Add(e.Message); };
        var options = fixture.Options();
        var recorder = new ProgressRecorder();
        options.Progress = recorder;
        using var transformer = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(8)));
        var reports = recorder.Reports;

        Assert.AreEqual(2, reports.Count);
        Assert.IsTrue(reports.All(r => r.CrossEntropy > 0 && r.Divergence > 0 && r.TokensPerSecond > 0));
        Assert.IsTrue(Math.Abs(reports[0].Loss - (0.5 * reports[0].CrossEntropy + 0.5 * reports[0].Divergence)) < 1e-4);
        foreach (var report in reports)
        {
            // Every phase of an off-policy KD step did some work, and together they fit inside the step; the student
            // samples nothing (on-policy steps have tests of their own).
            var phases = report.Phases!;
            foreach (var phase in Enum.GetValues<Microsoft.ML.Neo.TrainingPhase>())
            {
                if (phase == Microsoft.ML.Neo.TrainingPhase.StudentGeneration) Assert.AreEqual(0, phases[phase]);
                else Assert.IsTrue(phases[phase] > 0, $"{phase}: {phases}");
            }
        }
        Assert.IsTrue(reports[1].Phases!.Total <= (reports[1].Elapsed - reports[0].Elapsed).TotalSeconds, "phases lie within the step");
        lock (logged) Assert.IsTrue(logged.Any(m => m.Contains("step 2/2") && m.Contains("kd ")), string.Join("\n", logged));
    }

    [TestMethod]
    public void TransformerExportsMergedFolderAndPeftAdapters()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var rows = TrainingRows.Make(8);
        using var transformer = ml.Transforms.NeoDistill(fixture.Options(maxNewTokens: 12)).Fit(ml.Data.LoadFromEnumerable(rows));
        transformer.ExportHuggingFace(fixture.Sub("merged"));
        transformer.ExportPeftAdapters(fixture.Sub("adapters"));

        var tokens = new[] { 1, 40, 50, 60 };
        var expected = transformer.Student.Logits(tokens).Cast<float>().ToArray();
        double largest = expected.Max(Math.Abs);
        using (var merged = CausalLM.FromPretrained(fixture.Sub("merged")))
        {
            Assert.IsNotNull(merged.Tokenizer, "the tokenizer is exported too");
            var actual = merged.Logits(tokens).Cast<float>().ToArray();
            Assert.IsTrue(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() <= 1e-5 * largest);
        }
        using var rebuilt = CausalLM.FromPretrained(fixture.StudentPath);
        rebuilt.LoadPeftAdapters(fixture.Sub("adapters"));
        CollectionAssert.AreEqual(expected, rebuilt.Logits(tokens).Cast<float>().ToArray());
        Assert.AreEqual(transformer.Complete(rows[0].Prompt), rebuilt.Generate(rows[0].Prompt, new Microsoft.ML.Neo.GenerationOptions { MaxNewTokens = 12 }));
    }

}
