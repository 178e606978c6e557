using System.IO.Compression;

namespace Microsoft.ML.Neo.Tests.MLNet.ModelZip;

/// <summary>mlContext.Model.LoadNeoDistill: the transformer of a zip or a saved pipeline, and a plain error for anything else.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class LoadNeoDistillTests
{
    [TestMethod]
    public void LoadsTheDistilledTransformerOfAZipAndOfASavedPipeline()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(4));
        string zip = fixture.Sub("student.zip"), pipelineZip = fixture.Sub("pipeline.zip");
        using (var model = ml.Transforms.NeoDistill(fixture.Options()).Fit(data))
        {
            ml.Model.Save(model, data.Schema, zip);
            var chain = new TransformerChain<ITransformer>(ml.Transforms.CopyColumns("Question", "Prompt").Fit(data), model);
            ml.Model.Save(chain, data.Schema, pipelineZip);
        }
        using var alone = ml.Model.LoadNeoDistill(zip);
        using var inPipeline = ml.Model.LoadNeoDistill(pipelineZip);
        string prompt = TrainingRows.Make(1)[0].Prompt;
        Assert.AreEqual(alone.Complete(prompt), inPipeline.Complete(prompt));
    }

    [TestMethod]
    public void AnythingElseIsRefusedSayingWhatToPass()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ml.Model.LoadNeoDistill(fixture.StudentPath)).Message,
            "CausalLM.FromPretrained");
        Assert.ThrowsExactly<FileNotFoundException>(() => ml.Model.LoadNeoDistill(fixture.Sub("none.zip")));
        string text = fixture.Sub("notes.zip");
        File.WriteAllText(text, "not a zip");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ml.Model.LoadNeoDistill(text)).Message, "zip header");

        // An ML.NET model without NeoDistill in it.
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(2));
        string other = fixture.Sub("other.zip");
        ml.Model.Save(ml.Transforms.CopyColumns("Question", "Prompt").Fit(data), data.Schema, other);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ml.Model.LoadNeoDistill(other)).Message,
            "without a NeoDistill transformer");

        // A zip whose entries are not an ML.NET model.
        string foreign = fixture.Sub("foreign.zip");
        using (var archive = ZipFile.Open(foreign, ZipArchiveMode.Create))
        using (var writer = new StreamWriter(archive.CreateEntry("readme.txt").Open())) writer.Write("hello");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ml.Model.LoadNeoDistill(foreign)).Message,
            "not an ML.NET model");
    }
}
