namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>NeoDistillTransformer.Complete over a list: the completions of one prompt at a time, in the prompts' order.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class BatchedCompletionTests
{
    [TestMethod]
    [DataRow(0f)]
    [DataRow(0.8f)] // sampled: every row with the settings' seed, as one-at-a-time calls
    public void AListCompletesAsOnePromptAtATime(float temperature)
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = fixture.Options(maxNewTokens: 12);
        options.MaxSteps = 2;
        options.GenerationTemperature = temperature;
        using var model = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(8)));
        // Prompts of very different lengths, one longer than the student's context of 128 tokens (cut to its end).
        var prompts = TrainingRows.Make(9, seed: 3).Select(r => r.Prompt).Append("Hi").Append(string.Concat(Enumerable.Repeat("Tom has 5 stamps. ", 30))).ToList();
        var alone = prompts.Select(model.Complete).ToList();
        var batched = model.Complete(prompts, batchSize: 4);
        CollectionAssert.AreEqual(alone, batched);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Complete(prompts, batchSize: 0));
    }

    [TestMethod]
    public void TransformCompletesABlockOfRowsAtATimeAndMatchesThePredictionEngine()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = fixture.Options(maxNewTokens: 10);
        options.MaxSteps = 2;
        using var model = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(8)));
        var rows = TrainingRows.Make(20, seed: 4);
        var data = ml.Data.LoadFromEnumerable(rows);

        long before = model.CompletionBatches;
        var transformed = ml.Data.CreateEnumerable<PromptCompletion>(model.Transform(data), reuseRowObject: false).ToList();
        Assert.AreEqual(2, model.CompletionBatches - before, "20 rows in blocks of 16: two batched passes");
        var engine = ml.Model.CreatePredictionEngine<PromptResponse, PromptCompletion>(model);
        for (int i = 0; i < rows.Count; i++)
            Assert.AreEqual(engine.Predict(rows[i]).Completion, transformed[i].Completion, $"row {i}");

        // A shuffled cursor cannot read ahead in the same order: it completes row by row, with the same answers.
        before = model.CompletionBatches;
        var shuffled = ml.Data.ShuffleRows(data, seed: 3);
        var fromShuffled = ml.Data.CreateEnumerable<PromptCompletion>(model.Transform(shuffled), reuseRowObject: false).ToList();
        Assert.AreEqual(20, fromShuffled.Count);
        foreach (var row in fromShuffled) Assert.AreEqual(transformed[rows.FindIndex(r => r.Prompt == row.Prompt)].Completion, row.Completion);
    }
}
