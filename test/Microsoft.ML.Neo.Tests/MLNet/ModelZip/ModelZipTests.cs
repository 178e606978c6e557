using System.Diagnostics;

namespace Microsoft.ML.Neo.Tests.MLNet.ModelZip;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ModelZipTests
{
    [TestMethod]
    public void ZipReloadsInAFreshContextWithoutTheModelFolders()
    {
        var fixture = new DistillFixture();
        var rows = TrainingRows.Make(8);
        string zip = Path.Combine(Path.GetTempPath(), "neo-tests", Guid.NewGuid().ToString("N") + ".zip");
        List<string> expected;
        try
        {
            var ml = new MLContext(seed: 1);
            var data = ml.Data.LoadFromEnumerable(rows);
            var model = ml.Transforms.NeoDistill(fixture.Options(maxNewTokens: 12)).Fit(data);
            expected = rows.Take(3).Select(r => model.Complete(r.Prompt)).ToList();
            ml.Model.Save(model, data.Schema, zip);
            model.Dispose();
        }
        finally
        {
            fixture.Dispose(); // the teacher and student folders are gone from here on
        }
        Assert.IsFalse(Directory.Exists(fixture.StudentPath));

        try
        {
            var fresh = new MLContext(seed: 2);
            var loaded = fresh.Model.Load(zip, out var inputSchema);
            Assert.IsNotNull(inputSchema.GetColumnOrNull("Prompt"));
            var output = loaded.Transform(fresh.Data.LoadFromEnumerable(rows.Take(3)));
            CollectionAssert.AreEqual(expected, output.GetColumn<string>("Completion").ToList());
            var neo = (NeoDistillTransformer)loaded;
            Assert.AreEqual(4, neo.Settings.LoraRank);
            Assert.IsNull(neo.TrainingSummary);
        }
        finally
        {
            File.Delete(zip);
        }
    }

    [TestMethod]
    public void ZipLoadsInAFreshProcessWithNoRegistration()
    {
        using var fixture = new DistillFixture();
        var rows = TrainingRows.Make(8);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        using var model = ml.Transforms.NeoDistill(fixture.Options(maxNewTokens: 10)).Fit(data);
        string zip = fixture.Sub("student.zip");
        ml.Model.Save(model, data.Schema, zip);
        string expected = model.Complete(rows[0].Prompt);

        // neo's "predict" command loads the zip with MLContext.Model.Load and nothing before it.
        string samples = Path.Combine(RepositoryPaths.ToolFolder(), "neo.dll");
        Assert.IsTrue(File.Exists(samples), samples);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { samples, "predict", "--model", zip, "--prompt", rows[0].Prompt }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, stderr);
        StringAssert.Contains(stdout, "Completion: " + expected.ReplaceLineEndings("\\n"));
    }
}
