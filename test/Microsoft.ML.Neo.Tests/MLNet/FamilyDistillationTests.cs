using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Lora;

namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>
/// Distillation between two tiny members of each newer family through <c>mlContext.Transforms.NeoDistill</c>: the
/// adapters train, the zip reloads with identical completions, and the Hugging Face and PEFT exports use the
/// family's own module names (Phi-3's fused projections included).
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class FamilyDistillationTests
{
    [TestMethod]
    [DataRow("qwen3", "self_attn.q_proj")]
    [DataRow("gemma3_text", "self_attn.q_proj")]
    [DataRow("phi3", "self_attn.qkv_proj")]
    [DataRow("smollm3", "self_attn.q_proj")]
    public void DistilSaveReloadAndExport(string family, string adaptedModule)
    {
        using var fixture = new DistillFixture(modelType: family);
        var ml = new MLContext(seed: 1);
        var rows = TrainingRows.Make(8);
        var data = ml.Data.LoadFromEnumerable(rows);
        string zip = fixture.Sub("student.zip");
        List<string> expected;
        float[] expectedLogits;
        var tokens = new[] { 1, 40, 50, 60, 70, 80, 90, 100, 110, 120, 5, 6, 7, 8 }; // longer than the sliding windows
        using (var transformer = ml.Transforms.NeoDistill(fixture.Options(maxNewTokens: 12)).Fit(data))
        {
            var summary = transformer.TrainingSummary!;
            Assert.IsTrue(summary.Step > 0 && double.IsFinite(summary.Loss) && summary.Divergence > 0, "the KD term trained");
            Assert.AreEqual(family, transformer.Student.Config.ModelType);
            Assert.IsTrue(LoraInjector.AdapterParameters(transformer.Student.Model).Any(p => p.Name.Contains(adaptedModule + ".lora.")));
            expected = rows.Take(2).Select(r => transformer.Complete(r.Prompt)).ToList();
            expectedLogits = transformer.Student.Logits(tokens).Cast<float>().ToArray();
            ml.Model.Save(transformer, data.Schema, zip);
            transformer.ExportHuggingFace(fixture.Sub("merged"));
            transformer.ExportPeftAdapters(fixture.Sub("adapters"));
        }

        var loaded = new MLContext(seed: 2).Model.Load(zip, out _);
        using (var neo = (NeoDistillTransformer)loaded)
        {
            CollectionAssert.AreEqual(expected, rows.Take(2).Select(r => neo.Complete(r.Prompt)).ToList());
            Assert.AreEqual(family, neo.Student.Config.ModelType);
        }

        double largest = expectedLogits.Max(Math.Abs);
        using (var merged = CausalLM.FromPretrained(fixture.Sub("merged")))
        {
            Assert.AreEqual(family, merged.Config.ModelType);
            var actual = merged.Logits(tokens).Cast<float>().ToArray();
            Assert.IsTrue(expectedLogits.Zip(actual, (e, a) => Math.Abs(e - a)).Max() <= 1e-5 * largest, "merged export");
        }
        string peftConfig = File.ReadAllText(Path.Combine(fixture.Sub("adapters"), PeftAdapterFormat.ConfigFile));
        StringAssert.Contains(peftConfig, "\"" + adaptedModule.Split('.')[1] + "\"");
        using var rebuilt = CausalLM.FromPretrained(fixture.StudentPath);
        rebuilt.LoadPeftAdapters(fixture.Sub("adapters"));
        CollectionAssert.AreEqual(expectedLogits, rebuilt.Logits(tokens).Cast<float>().ToArray());
        Assert.AreEqual(expected[0], rebuilt.Generate(rows[0].Prompt, new GenerationOptions { MaxNewTokens = 12 }));
    }

    [TestMethod]
    public void AMultimodalGemma3TeacherTeachesAsItsTextModel()
    {
        // The same teacher weights as a gemma3_text folder and laid out as a multimodal gemma3 one give the same run.
        using var fixture = new DistillFixture(modelType: "gemma3_text");
        Modeling.Families.Gemma3MultimodalTests.WriteAsMultimodal(fixture.TeacherPath, fixture.Sub("multimodal-teacher"));
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(8));
        // The multimodal layout stores bf16 weights: compare with the text teacher rounded the same way.
        using (var rounded = CausalLM.FromPretrained(fixture.TeacherPath)) rounded.SavePretrained(fixture.Sub("bf16-teacher"), Microsoft.ML.Neo.SafeTensorsDtype.BFloat16);
        var options = fixture.Options();
        options.Teacher = new TeacherModel(fixture.Sub("bf16-teacher"));
        using var fromText = ml.Transforms.NeoDistill(options).Fit(data);
        options.Teacher = new TeacherModel(fixture.Sub("multimodal-teacher"));
        using var fromMultimodal = new MLContext(seed: 1).Transforms.NeoDistill(options).Fit(data);
        Assert.IsTrue(fromText.TrainingSummary!.Divergence > 0);
        Assert.AreEqual(fromText.TrainingSummary.Loss, fromMultimodal.TrainingSummary!.Loss, "identical losses");
        Assert.AreEqual(fromText.TrainingSummary.Divergence, fromMultimodal.TrainingSummary.Divergence);
    }

    [TestMethod]
    public void AdaptersOfAMultimodalGemma3StudentFollowItsModuleNames()
    {
        // PEFT applies adapters onto the base checkpoint's own modules: Gemma3ForConditionalGeneration names its text
        // model model.language_model.layers.…, so adapters trained on a multimodal student are written under those names.
        using var fixture = new DistillFixture(modelType: "gemma3_text");
        Modeling.Families.Gemma3MultimodalTests.WriteAsMultimodal(fixture.StudentPath, fixture.Sub("multimodal-student"));
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(8));
        var options = fixture.Options();
        options.StudentModelPath = fixture.Sub("multimodal-student");
        var tokens = new[] { 1, 40, 50, 60, 70, 80, 90, 100, 110, 120, 5, 6, 7, 8 };
        float[] expected;
        using (var transformer = ml.Transforms.NeoDistill(options).Fit(data))
        {
            expected = transformer.Student.Logits(tokens).Cast<float>().ToArray();
            transformer.ExportPeftAdapters(fixture.Sub("adapters"));
            ml.Model.Save(transformer, data.Schema, fixture.Sub("student.zip"));
        }
        using (var reader = new Microsoft.ML.Neo.Checkpoints.SafeTensorsReader(Path.Combine(fixture.Sub("adapters"), PeftAdapterFormat.WeightsFile)))
            Assert.IsTrue(reader.Tensors.Keys.All(k => k.StartsWith("base_model.model.model.language_model.layers.", StringComparison.Ordinal)),
                string.Join(", ", reader.Tensors.Keys.Take(2)));

        using (var rebuilt = CausalLM.FromPretrained(fixture.Sub("multimodal-student")))
        {
            rebuilt.LoadPeftAdapters(fixture.Sub("adapters"));
            CollectionAssert.AreEqual(expected, rebuilt.Logits(tokens).Cast<float>().ToArray(), "the adapters apply onto the multimodal base");
        }
        // The zip remembers the base's layout, so an export from the reloaded model writes the same names.
        using var loaded = (NeoDistillTransformer)new MLContext(seed: 2).Model.Load(fixture.Sub("student.zip"), out _);
        loaded.ExportPeftAdapters(fixture.Sub("adapters-from-zip"));
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(fixture.Sub("adapters"), PeftAdapterFormat.WeightsFile)),
            File.ReadAllBytes(Path.Combine(fixture.Sub("adapters-from-zip"), PeftAdapterFormat.WeightsFile)));
    }
}
