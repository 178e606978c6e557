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
