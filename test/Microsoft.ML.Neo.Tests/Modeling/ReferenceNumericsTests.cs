using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo.Tests.Modeling;

/// <summary>
/// Logits of the TorchSharp model against <see cref="ReferenceLlama"/> on every supported layout, within 1e-4 of the
/// largest logit (the bar the Hugging Face comparison uses).
/// </summary>
[TestClass]
public sealed class ReferenceNumericsTests
{
    private static readonly int[] Tokens = { 1, 17, 200, 33, 4, 90, 300, 12, 5 };

    public static IEnumerable<object[]> Layouts()
    {
        var llama = TinyCheckpoints.Config(hidden: 32, heads: 4, kvHeads: 2, vocab: 64);
        yield return new object[] { "llama, GQA, untied", llama };
        yield return new object[] { "llama, MHA, tied", llama with { NumKeyValueHeads = 4, TieWordEmbeddings = true } };
        yield return new object[] { "llama, explicit head_dim 16", llama with { HeadDim = 16 } };
        yield return new object[] { "llama, attention and MLP biases", llama with { AttentionBias = true, MlpBias = true } };
        yield return new object[] { "qwen2 (q/k/v biases)", llama with { ModelType = "qwen2", RopeTheta = 1_000_000 } };
        yield return new object[] { "mistral", llama with { ModelType = "mistral", SlidingWindow = 64 } };
        yield return new object[] { "llama3 rope scaling", llama with { RopeScaling = new RopeScaling { Type = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 4 }, RopeTheta = 500_000 } };
        yield return new object[] { "linear rope scaling", llama with { RopeScaling = new RopeScaling { Type = "linear", Factor = 2 } } };
    }

    [TestMethod]
    [DynamicData(nameof(Layouts))]
    public void LogitsMatchTheIndependentReference(string layout, ModelConfig config)
    {
        // Through config.json, as a checkpoint would arrive.
        config = ModelConfig.FromJson(config.ToJson());
        using var model = CausalLM.Create(config, null, seed: 80);
        var reference = new ReferenceLlama(config, model.Model.named_parameters().Select(p =>
            (p.name, p.parameter.detach().contiguous().data<float>().ToArray(), p.parameter.shape)));
        var tokens = Tokens.Select(t => t % config.VocabSize).ToArray();

        var actual = model.Logits(tokens);
        var expected = reference.Logits(tokens);
        double largest = 0, worst = 0;
        for (int t = 0; t < tokens.Length; t++)
        {
            for (int v = 0; v < config.VocabSize; v++)
            {
                largest = Math.Max(largest, Math.Abs(expected[t, v]));
                worst = Math.Max(worst, Math.Abs(expected[t, v] - actual[t, v]));
            }
        }
        Console.WriteLine($"{layout}: max |difference| / largest logit = {worst / largest:E2}");
        Assert.IsTrue(worst <= 1e-4 * largest, $"{layout}: max |difference| {worst:E2}, largest logit {largest:F3}");
    }
}
