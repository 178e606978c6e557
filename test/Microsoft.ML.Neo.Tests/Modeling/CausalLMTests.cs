using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Modeling;

[TestClass]
public sealed class CausalLMTests
{
    [TestMethod]
    public void LogitsAreCausalAndPerPosition()
    {
        using var model = CausalLM.Create(TinyCheckpoints.Config(), null, seed: 5);
        var full = model.Logits(new[] { 1, 10, 20, 30 });
        var prefix = model.Logits(new[] { 1, 10 });
        Assert.AreEqual(4, full.GetLength(0));
        for (int v = 0; v < full.GetLength(1); v++)
        {
            // A later token cannot change an earlier position's logits.
            Assert.AreEqual(prefix[1, v], full[1, v], 1e-5);
        }
    }

    [TestMethod]
    public void ScoreReportsEachTokensLogprobRankAndTheNextLogitsFromOnePass()
    {
        using var model = CausalLM.Create(TinyCheckpoints.Config(), null, seed: 5);
        int[] ids = { 1, 10, 20, 30 };
        var logits = model.Logits(ids);
        var scores = model.Score(ids, topK: 3);
        Assert.AreEqual(3, scores.Positions.Length, "tokens 1..3: the first has no context");
        for (int t = 0; t < 3; t++)
        {
            var row = Enumerable.Range(0, logits.GetLength(1)).Select(v => (double)logits[t, v]).ToArray();
            double max = row.Max(), logSum = max + Math.Log(row.Sum(x => Math.Exp(x - max)));
            var position = scores.Positions[t];
            Assert.AreEqual(ids[t + 1], position.TokenId);
            Assert.AreEqual(row[ids[t + 1]] - logSum, position.Logprob, 1e-4);
            Assert.AreEqual(1 + row.Count(x => x > row[ids[t + 1]]), position.Rank);
            CollectionAssert.AreEqual(Enumerable.Range(0, row.Length).OrderByDescending(v => row[v]).Take(3).ToArray(), position.TopIds);
        }
        for (int v = 0; v < logits.GetLength(1); v++) Assert.AreEqual(logits[3, v], scores.NextLogits[v], 1e-4);

        var batch = model.ScoreBatch(new[] { (IReadOnlyList<int>)ids, new[] { 1, 10 } }, topK: 3);
        Assert.AreEqual(scores.Positions[0].Logprob, batch[1].Positions[0].Logprob, 1e-5, "padding the shorter sequence changes nothing");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Score(new[] { 1, 100_000 }, topK: 3));
    }

    [TestMethod]
    public void GenerateTokensStreamsWhatGenerateReturns()
    {
        using var model = CausalLM.Create(TinyCheckpoints.Config(), null, seed: 5);
        var options = new GenerationOptions { MaxNewTokens = 6 };
        int[] prompt = { 1, 10, 20 };
        CollectionAssert.AreEqual(model.Generate(prompt, options), model.GenerateTokens(prompt, options).ToArray());
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() => model.GenerateTokens(prompt, options, cancelled.Token).ToArray());
    }

    [TestMethod]
    public void GroupedQueryAttentionMatchesExplicitlyRepeatedHeads()
    {
        // A GQA model equals a multi-head model whose k/v projections repeat each KV head for its query group.
        var gqaConfig = TinyCheckpoints.Config(heads: 4, kvHeads: 2);
        var mhaConfig = gqaConfig with { NumKeyValueHeads = 4 };
        using var gqa = CausalLM.Create(gqaConfig, null, seed: 6);
        using var mha = CausalLM.Create(mhaConfig, null, seed: 7);
        var source = gqa.Model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        using (no_grad())
        {
            foreach (var (name, target) in mha.Model.named_parameters())
            {
                var value = source[name];
                if (name.EndsWith("k_proj.weight") || name.EndsWith("v_proj.weight"))
                {
                    int headDim = gqaConfig.ResolvedHeadDim;
                    value = value.view(2, headDim, -1).repeat_interleave(2, dim: 0).reshape(4 * headDim, -1); // [KV, D, C] -> [H*D, C]
                }
                target.copy_(value);
            }
        }
        var tokens = new[] { 1, 5, 9, 200, 300 };
        var a = gqa.Logits(tokens);
        var b = mha.Logits(tokens);
        double worst = a.Cast<float>().Zip(b.Cast<float>(), (x, y) => Math.Abs(x - y)).Max();
        Assert.IsTrue(worst < 1e-4, $"max difference {worst}");
    }

    [TestMethod]
    public void BadTokenIdsAreRefused()
    {
        using var model = CausalLM.Create(TinyCheckpoints.Config(), null, seed: 5);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Logits(new[] { 1, model.Config.VocabSize }));
        Assert.ThrowsExactly<ArgumentException>(() => model.Logits(Array.Empty<int>()));
        Assert.ThrowsExactly<ArgumentException>(() => model.Logits(new int[model.Config.MaxPositionEmbeddings + 1]));
    }
}
