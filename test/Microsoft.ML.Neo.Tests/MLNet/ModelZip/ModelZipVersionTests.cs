using System.IO.Compression;
using Microsoft.ML.Neo.Lora;

namespace Microsoft.ML.Neo.Tests.MLNet.ModelZip;

/// <summary>What a model zip records and leaves out, and that zips of earlier versions still load.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ModelZipVersionTests
{
    [TestMethod]
    public void TheZipRecordsWhatTheTransformerNeedsAndNoPathsOrTrainingSettings()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(4));
        var options = fixture.Options(maxNewTokens: 7);
        options.TeacherCacheDirectory = fixture.Sub("cache");
        options.CheckpointDirectory = fixture.Sub("checkpoints");
        options.LoraTargetModules = new[] { "q_proj", "v_proj" };
        options.KdWeight = 0.73f;
        options.OutputColumnName = "Answer";
        string zip = fixture.Sub("student.zip");
        using (var model = ml.Transforms.NeoDistill(options).Fit(data)) ml.Model.Save(model, data.Schema, zip);

        string payload = ReadModelEntry(zip);
        foreach (var path in new[] { fixture.TeacherPath, fixture.StudentPath, fixture.Sub("cache"), fixture.Sub("checkpoints") })
            Assert.IsFalse(payload.Contains(path.Replace("\\", "\\\\"), StringComparison.Ordinal), $"the zip names '{path}'");
        foreach (var setting in new[] { "KdWeight", "LearningRate", "Temperature", "TeacherEndpoint", "Device" })
            Assert.IsFalse(payload.Contains(setting, StringComparison.Ordinal), $"the zip keeps {setting}");
        StringAssert.Contains(payload, "\"prompt_column\":\"Prompt\"");
        StringAssert.Contains(payload, "\"output_column\":\"Answer\"");
        StringAssert.Contains(payload, "\"max_new_tokens\":7");
        StringAssert.Contains(payload, $"\"base_model\":\"{Path.GetFileName(fixture.StudentPath)}\"");
        StringAssert.Contains(payload, "\"dtype\":\"float32\"");
        StringAssert.Contains(payload, "\"trainable\":\"LoraAdapters\"");
        StringAssert.Contains(payload, "\"target_modules\":[\"q_proj\",\"v_proj\"]");

        using var loaded = (NeoDistillTransformer)new MLContext(seed: 2).Model.Load(zip, out _);
        Assert.IsNull(loaded.Options, "a zip keeps no training options, and reports none rather than defaults");
        var settings = loaded.Settings;
        Assert.AreEqual(Path.GetFileName(fixture.StudentPath), settings.BaseModelName);
        Assert.AreEqual("Answer", settings.OutputColumnName);
        Assert.AreEqual("Response", settings.ResponseColumnName);
        Assert.AreEqual(7, settings.Generation.MaxNewTokens);
        Assert.AreEqual(ComputePrecision.Float32, settings.StudentPrecision);
        CollectionAssert.AreEqual(new[] { "q_proj", "v_proj" }, settings.LoraTargetModules!.ToArray());
        Assert.IsNotNull(loaded.GetOutputSchema(data.Schema).GetColumnOrNull("Answer"));
        var adapted = LoraInjector.AdapterParameters(loaded.Student.Model).Select(p => p.Name).ToList();
        Assert.IsTrue(adapted.Count > 0 && adapted.All(n => n.Contains("q_proj") || n.Contains("v_proj")), string.Join(", ", adapted));
    }

    [TestMethod]
    public void AReloadedModelMeasuresTheColumnsItWasTrainedOn()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var rows = TrainingRows.Make(4).Select(r => new SolutionRow { Question = r.Prompt, Solution = r.Response }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = fixture.Options();
        options.PromptColumnName = nameof(SolutionRow.Question);
        options.ResponseColumnName = nameof(SolutionRow.Solution);
        options.MaxSteps = 1;
        string zip = fixture.Sub("student.zip");
        double trained;
        using (var model = ml.Transforms.NeoDistill(options).Fit(data))
        {
            trained = model.ResponseLoss(data);
            ml.Model.Save(model, data.Schema, zip);
        }
        using var loaded = (NeoDistillTransformer)new MLContext(seed: 2).Model.Load(zip, out _);
        Assert.AreEqual(nameof(SolutionRow.Solution), loaded.Settings.ResponseColumnName);
        Assert.AreEqual(nameof(SolutionRow.Question), loaded.Settings.PromptColumnName);
        Assert.AreEqual(trained, loaded.ResponseLoss(data), 1e-6 * trained, "the reloaded model reads the same response column");
    }

    private sealed class SolutionRow
    {
        public string Question { get; set; } = "";
        public string Solution { get; set; } = "";
    }

    [TestMethod]
    public void Version2ZipWrittenByTheEarlierLibraryStillLoadsAndGenerates()
    {
        // Written by the library at payload version 2 (the `distill` sample on the embedded teacher and a one-layer
        // student, LoRA rank 2, alpha 4, 3 steps); the completion below is what that build's `predict` printed.
        string zip = Path.Combine(AppContext.BaseDirectory, "MLNet", "ModelZip", "Fixtures", "payload-v2.zip");
        using var loaded = (NeoDistillTransformer)new MLContext(seed: 1).Model.Load(zip, out var schema);
        Assert.IsNotNull(schema.GetColumnOrNull("Prompt"));
        Assert.AreEqual(2, loaded.Settings.LoraRank);
        Assert.AreEqual(4f, loaded.Settings.LoraAlpha);
        Assert.AreEqual("Response", loaded.Settings.ResponseColumnName, "version 2 stored every option, the response column among them");
        Assert.AreEqual(7 * 1, LoraInjector.AdapterParameters(loaded.Student.Model).Count() / 2, "one adapter per projection of the single layer");
        Assert.AreEqual("????????????", loaded.Complete("Tom has 3 apples and buys 4 more. How many apples does he have?"));
    }

    [TestMethod]
    public void Version4ZipWrittenByTheEarlierLibraryLoadsWithOnlyWhatARecordKeeps()
    {
        // Written by the library at payload version 4 (neo distill on the embedded styled teacher and a one-layer
        // student made from the styled student, --student s1, LoRA rank 2, alpha 4, 3 steps, 12 new tokens); the
        // completion is what that build's `neo predict` printed. Version 4 stored every option.
        string zip = Path.Combine(AppContext.BaseDirectory, "MLNet", "ModelZip", "Fixtures", "payload-v4.zip");
        StringAssert.Contains(ReadModelEntry(zip), "\"StudentModelPath\": \"s1\"");
        StringAssert.Contains(ReadModelEntry(zip), "\"KdWeight\": 0.5");
        using var loaded = (NeoDistillTransformer)new MLContext(seed: 1).Model.Load(zip, out _);
        Assert.AreEqual("s1", loaded.Settings.BaseModelName, "the folder's name, not its path");
        Assert.AreEqual(2, loaded.Settings.LoraRank);
        Assert.AreEqual(12, loaded.Settings.Generation.MaxNewTokens);
        Assert.AreEqual("Response", loaded.Settings.ResponseColumnName);
        Assert.IsNull(loaded.Options, "its KdWeight 0.5 and the rest are not reported as if they were the defaults");
        Assert.AreEqual(string.Join(' ', Enumerable.Repeat("Tom", 12)),
            loaded.Complete("Question: Tom has 3 apples and buys 4 more. How many apples does he have?\nAnswer:"));
    }

    // The transformer's own payload (every "Model.key" entry of the zip), as text.
    private static string ReadModelEntry(string zip)
    {
        using var archive = ZipFile.OpenRead(zip);
        var text = new System.Text.StringBuilder();
        foreach (var entry in archive.Entries.Where(e => e.FullName.EndsWith("Model.key", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(entry.Open(), System.Text.Encoding.Latin1);
            text.Append(reader.ReadToEnd());
        }
        return text.ToString();
    }
}
