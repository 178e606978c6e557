using Microsoft.Extensions.AI;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Tests.MLNet;
using Microsoft.ML.Neo.Tokenization.Chat;

namespace Microsoft.ML.Neo.Tests.Integrity;

/// <summary>
/// What docs/using-in-your-app.md promises about threads: a loaded NeoDistillTransformer and a CausalLMChatClient may be
/// called from several threads at once (calls run one at a time inside), and a PredictionEngine per thread over one
/// transformer works; concurrent answers equal sequential ones. (NeoServer under concurrent load: NeoServerTests.)
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ConcurrencyTests
{
    private static readonly string[] Prompts = TrainingRows.Make(6, seed: 9).Select(r => r.Prompt).ToArray();

    [TestMethod]
    public void ATransformerAndPredictionEnginesServeSeveralThreads()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(4));
        var options = fixture.Options(maxNewTokens: 6);
        options.GenerationTemperature = 0.7f; // sampled: each call's own seeded generator must not be shared
        using var model = ml.Transforms.NeoDistill(options).Fit(data);
        var sequential = Prompts.Select(model.Complete).ToArray();

        var concurrent = new string[4][];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, thread =>
            concurrent[thread] = Prompts.Select(model.Complete).ToArray());
        foreach (var answers in concurrent) CollectionAssert.AreEqual(sequential, answers, "the transformer from several threads");

        var engines = new string[4][];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, thread =>
        {
            // A PredictionEngine is not thread-safe (ML.NET's rule): one per thread, over the shared transformer.
            var engine = ml.Model.CreatePredictionEngine<PromptResponse, PromptCompletion>(model);
            engines[thread] = Prompts.Select(p => engine.Predict(new PromptResponse { Prompt = p }).Completion).ToArray();
        });
        foreach (var answers in engines) CollectionAssert.AreEqual(sequential, answers, "a prediction engine per thread");
    }

    [TestMethod]
    public async Task AChatClientServesConcurrentCalls()
    {
        using var fixture = new DistillFixture();
        using var model = CausalLM.FromPretrained(fixture.StudentPath);
        using var client = new CausalLMChatClient(model, ChatFormat.ChatML, defaults: new GenerationOptions { MaxNewTokens = 6 });
        var sequential = new List<string>();
        foreach (var prompt in Prompts) sequential.Add((await client.GetResponseAsync(prompt)).Text);

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var answers = new List<string>();
            foreach (var prompt in Prompts) answers.Add((await client.GetResponseAsync(prompt)).Text);
            return answers;
        })));
        foreach (var answers in concurrent) CollectionAssert.AreEqual(sequential, answers);
    }
}
