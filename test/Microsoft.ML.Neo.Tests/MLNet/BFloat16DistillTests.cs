using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>NeoDistill with Precision = BFloat16: a bf16 frozen base and teacher, float32 adapters.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class BFloat16DistillTests
{
    [TestInitialize]
    public void RequireNativeBfloat16()
    {
        // BFloat16 is refused on a CPU without native bf16 (tested in PrecisionSupportTests); these tests need one.
        if (CpuBf16Support.Current.Supported == false)
            Assert.Inconclusive($"This machine cannot run bf16: {CpuBf16Support.Current.Evidence}.");
    }

    [TestMethod]
    public void Bfloat16FitChangesOnlyTheFloat32Adapters()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var progress = new ProgressRecorder();
        var options = fixture.Options(precision: ComputePrecision.BFloat16);
        options.Progress = progress;
        using var transformer = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(12)));

        Assert.AreEqual("bfloat16", transformer.Student.WeightDtype);
        using var reader = new SafeTensorsReader(Path.Combine(fixture.StudentPath, "model.safetensors"));
        int compared = 0, adapters = 0;
        foreach (var (name, parameter) in transformer.Student.Model.named_parameters())
        {
            if (name.Contains(".lora."))
            {
                Assert.AreEqual(ScalarType.Float32, parameter.dtype, $"{name} must stay float32");
                adapters++;
                continue;
            }
            Assert.AreEqual(ScalarType.BFloat16, parameter.dtype, $"base weight {name} is held in bf16");
            using var original = reader.ReadFloat32(name);
            Assert.IsTrue(TensorAssert.Identical(original.to(ScalarType.BFloat16), parameter), $"base weight {name} changed");
            compared++;
        }
        Assert.AreEqual(reader.Tensors.Count, compared);
        Assert.AreEqual(2 * 7 * 2, adapters, "A and B of the 7 projections' adapters in each of 2 layers");
        Assert.IsTrue(LoraInjector.AdapterParameters(transformer.Student.Model)
            .Any(p => p.Name.EndsWith("lora_B") && p.Parameter.abs().sum().item<float>() > 0), "the adapters were trained");
        Assert.AreEqual(3, progress.Reports.Count);
        Assert.IsTrue(progress.Reports.All(r => double.IsFinite(r.Loss) && r.CrossEntropy > 0 && r.Divergence > 0));
    }

    [TestMethod]
    public void Bfloat16LossesFollowTheFloat32Run()
    {
        // Same data, seed and adapters' initialisation: the two runs differ only by bf16 rounding of the frozen weights
        // and activations (8 mantissa bits, a relative step of 2^-8 ≈ 0.4%). Over a few steps that moves each loss by
        // well under 2%; a bug (a float32 stat computed in bf16, a wrongly scaled adapter) moves it by far more.
        using var fixture = new DistillFixture();
        var rows = TrainingRows.Make(24);
        List<double> Losses(ComputePrecision precision)
        {
            var ml = new MLContext(seed: 1);
            var recorder = new ProgressRecorder();
            var options = fixture.Options(precision: precision);
            options.Progress = recorder;
            using var _ = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(rows));
            return recorder.Reports.Select(r => r.Loss).ToList();
        }
        var full = Losses(ComputePrecision.Float32);
        var half = Losses(ComputePrecision.BFloat16);
        Assert.AreEqual(6, full.Count);
        Assert.AreEqual(full.Count, half.Count);
        for (int i = 0; i < full.Count; i++)
            Assert.IsTrue(Math.Abs(full[i] - half[i]) <= 0.02 * full[i], $"step {i + 1}: float32 {full[i]:F5}, bf16 {half[i]:F5}");
        Assert.IsFalse(full.SequenceEqual(half), "bf16 really ran (its losses are not bit-identical to float32)");
    }

    [TestMethod]
    public void Bfloat16ModelZipRecordsItsPrecisionAndReloadsInIt()
    {
        using var fixture = new DistillFixture();
        var rows = TrainingRows.Make(8);
        string zip = fixture.Sub("model.zip");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        List<string> expected;
        using (var model = ml.Transforms.NeoDistill(fixture.Options(maxNewTokens: 12, precision: ComputePrecision.BFloat16)).Fit(data))
        {
            expected = rows.Take(3).Select(r => model.Complete(r.Prompt)).ToList();
            ml.Model.Save(model, data.Schema, zip);
        }
        StringAssert.Contains(ZipText(zip), "\"dtype\":\"bfloat16\"", "the zip records the precision it was trained in");

        var loaded = (NeoDistillTransformer)new MLContext(seed: 2).Model.Load(zip, out _);
        using (loaded)
        {
            Assert.AreEqual("bfloat16", loaded.Student.WeightDtype);
            Assert.IsTrue(LoraInjector.AdapterParameters(loaded.Student.Model).All(p => p.Parameter.dtype == ScalarType.Float32));
            CollectionAssert.AreEqual(expected, rows.Take(3).Select(r => loaded.Complete(r.Prompt)).ToList());
        }
    }

    [TestMethod]
    public void Bfloat16RunsRepeatExactly()
    {
        using var fixture = new DistillFixture();
        var rows = TrainingRows.Make(8);
        Tensor[] Train()
        {
            var ml = new MLContext(seed: 1);
            var options = fixture.Options(precision: ComputePrecision.BFloat16);
            options.LoraDropout = 0.1f;
            using var transformer = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(rows));
            return LoraInjector.AdapterParameters(transformer.Student.Model).Select(p => p.Parameter.detach().clone()).ToArray();
        }
        var first = Train();
        var second = Train();
        for (int i = 0; i < first.Length; i++) Assert.IsTrue(TensorAssert.Identical(first[i], second[i]), $"adapter tensor {i} differs");
    }

    // The zip's entries are stored deflated; read the payload entry's text.
    private static string ZipText(string zip)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(zip);
        return string.Concat(archive.Entries.Select(e =>
        {
            using var reader = new StreamReader(e.Open(), System.Text.Encoding.Latin1);
            return reader.ReadToEnd();
        }));
    }
}
