using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Tests.MLNet;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Training;

/// <summary>Finetuning = Full: the baselines of LLM-NEO's comparison (full KD, and SFT with KdWeight 0).</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class FullFinetuningTests
{
    [TestMethod]
    [DataRow(0.5f)] // full-parameter KD
    [DataRow(0f)]   // SFT
    public void TrainsEveryWeightAndAttachesNoAdapters(float kdWeight)
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = fixture.Options();
        options.Finetuning = Finetuning.Full;
        options.KdWeight = kdWeight;
        options.LearningRate = 1e-3f;
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(12));
        using var model = ml.Transforms.NeoDistill(options).Fit(data);

        Assert.IsFalse(LoraInjector.AdapterParameters(model.Student.Model).Any(), "no adapters");
        using var reader = new SafeTensorsReader(Path.Combine(fixture.StudentPath, "model.safetensors"));
        int changed = 0, compared = 0;
        foreach (var (name, parameter) in model.Student.Model.named_parameters())
        {
            using var original = reader.ReadFloat32(name);
            compared++;
            if (!TensorAssert.Identical(original, parameter)) changed++;
            Assert.AreEqual(ScalarType.Float32, parameter.dtype, $"{name} is trained in float32");
        }
        Assert.AreEqual(reader.Tensors.Count, compared);
        Assert.AreEqual(compared, changed, "every weight (embeddings, norms, projections) moved");
        Assert.AreEqual(3, model.TrainingSummary!.TotalSteps);
        if (kdWeight == 0) Assert.AreEqual(0, model.TrainingSummary.Divergence, "SFT asks no teacher");
        else Assert.IsTrue(model.TrainingSummary.Divergence > 0);
    }

    [TestMethod]
    public void ModelZipRoundTripsAndPeftExportSaysWhyNot()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = fixture.Options();
        options.Finetuning = Finetuning.Full;
        options.LearningRate = 1e-3f;
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(8));
        using var model = ml.Transforms.NeoDistill(options).Fit(data);
        string zip = fixture.Sub("full.zip");
        ml.Model.Save(model, data.Schema, zip);
        using var loaded = (NeoDistillTransformer)new MLContext(seed: 1).Model.Load(zip, out _);
        var trained = model.Student.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in loaded.Student.Model.named_parameters())
            Assert.IsTrue(TensorAssert.Identical(trained[name], parameter), $"{name} differs after loading");
        Assert.AreEqual(trained.Count, loaded.Student.Model.named_parameters().Count());

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => loaded.ExportPeftAdapters(fixture.Sub("peft")));
        StringAssert.Contains(error.Message, "Finetuning = Full");
        StringAssert.Contains(error.Message, "--hf");
        string hf = fixture.Sub("hf");
        loaded.ExportHuggingFace(hf);
        using var exported = new SafeTensorsReader(Path.Combine(hf, "model.safetensors"));
        foreach (var name in exported.Tensors.Keys)
        {
            using var weight = exported.ReadFloat32(name);
            Assert.IsTrue(TensorAssert.Identical(trained[name], weight), $"exported {name} differs");
        }
    }
}
