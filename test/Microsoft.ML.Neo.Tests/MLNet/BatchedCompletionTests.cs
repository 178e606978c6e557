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
}
