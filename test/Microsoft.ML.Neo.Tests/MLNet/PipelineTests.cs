using Microsoft.ML.Data;

namespace Microsoft.ML.Neo.Tests.MLNet;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class PipelineTests
{
    [TestMethod]
    public void ComposesWithAppendAndPredictionEngines()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var rows = TrainingRows.Make(8);
        var pipeline = ml.Transforms.CopyColumns("Question", "Prompt")
            .Append(ml.Transforms.NeoDistill(fixture.Options()))
            .Append(ml.Transforms.CopyColumns("Answer", "Completion"));
        var model = pipeline.Fit(ml.Data.LoadFromEnumerable(rows));

        var output = model.Transform(ml.Data.LoadFromEnumerable(rows.Take(3)));
        CollectionAssert.IsSubsetOf(new[] { "Prompt", "Response", "Question", "Completion", "Answer" },
            output.Schema.Select(c => c.Name).ToArray(), "input columns are kept and the completion added");
        var answers = output.GetColumn<string>("Answer").ToList();
        var completions = output.GetColumn<string>("Completion").ToList();
        Assert.AreEqual(3, answers.Count);
        CollectionAssert.AreEqual(completions, answers);

        var neo = model.OfType<NeoDistillTransformer>().Single();
        Assert.AreEqual(neo.Complete(rows[0].Prompt), completions[0], "the column equals a direct completion");

        var engine = ml.Model.CreatePredictionEngine<PromptResponse, PromptCompletion>(model);
        Assert.AreEqual(completions[1], engine.Predict(rows[1]).Completion);
    }

    [TestMethod]
    public void CompletionsAreComputedOnlyWhenRead()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        using var transformer = ml.Transforms.NeoDistill(fixture.Options()).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(4)));
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(200, seed: 9));
        var output = transformer.Transform(data);
        Assert.AreEqual(0, transformer.CompletionsGenerated, "Transform generates nothing");
        Assert.AreEqual(200, output.GetColumn<string>("Prompt").Count());
        Assert.AreEqual(0, transformer.CompletionsGenerated, "reading other columns generates nothing");
        Assert.AreEqual(2, output.GetColumn<string>("Completion").Take(2).Count());
        Assert.AreEqual(16, transformer.CompletionsGenerated, "the rows read, and the rest of their block (16 rows decoded together), no more");
    }
}
