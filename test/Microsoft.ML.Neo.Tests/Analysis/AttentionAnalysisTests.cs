using Microsoft.ML.Neo.Analysis;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Analysis;

[TestClass]
public sealed class AttentionAnalysisTests
{
    private const string Text = "Question: Tom has 11 stamps and buys 2*5=10 more. How many stamps does Tom have now?";

    [TestMethod]
    [DataRow("llama")]
    [DataRow("gemma3_text")] // its own score scale, q/k norms, and a sliding window of 8 on every other layer
    public void MapsAreTheWeightsTheModelsOwnAttentionUsed(string family)
    {
        using var folder = new TempDirectory();
        var config = TinyCheckpoints.AsFamily(TinyCheckpoints.Config(hidden: 64, layers: 2), family);
        using var model = CausalLM.FromPretrained(TinyCheckpoints.Create(folder.Sub("m"), config, seed: 3));
        var report = AttentionAnalysis.Analyze(model, new[] { Text });
        var text = report.Texts[0];
        int tokens = text.Tokens.Count;
        Assert.AreEqual(model.TokenizerFiles!.Encode(Text).Length, tokens);

        // What the model's own attention read and gave, captured from a second, ordinary forward pass.
        var traced = new (double[,,] Q, double[,,] K, double[,,] V, double[,,] Attended)[config.NumHiddenLayers];
        var backbone = model.Model.Backbone;
        for (int l = 0; l < config.NumHiddenLayers; l++)
            backbone.Layer(l).Attention.Trace = trace => traced[trace.Layer] = (Copy(trace.Queries), Copy(trace.Keys), Copy(trace.Values), Copy(trace.Attended));
        using (no_grad())
        {
            using var ids = tensor(model.TokenizerFiles.Encode(Text).Select(i => (long)i).ToArray(), new long[] { 1, tokens });
            using var hidden = backbone.Forward(ids, cache: null);
        }
        for (int l = 0; l < config.NumHiddenLayers; l++) backbone.Layer(l).Attention.Trace = null;

        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var (q, k, v, attended) = traced[layer];
            int dim = q.GetLength(2);
            int? window = config.IsSlidingLayer(layer) ? config.SlidingWindow : null;
            for (int head = 0; head < config.NumAttentionHeads; head++)
            {
                var map = text.Map(layer, head);
                for (int i = 0; i < tokens; i++)
                {
                    // The reference: softmax of q·k/√D over the keys query i may see (itself and before, within the window).
                    var visible = Enumerable.Range(0, tokens).Where(j => j <= i && (window is null || j > i - window)).ToList();
                    var scores = visible.Select(j => Enumerable.Range(0, dim).Sum(d => q[head, i, d] * k[head, j, d]) / Math.Sqrt(dim)).ToList();
                    double max = scores.Max(), total = scores.Sum(s => Math.Exp(s - max));
                    double rowSum = 0;
                    for (int j = 0; j < tokens; j++)
                    {
                        int at = visible.IndexOf(j);
                        double expected = at < 0 ? 0 : Math.Exp(scores[at] - max) / total;
                        Assert.AreEqual(expected, map[i, j], 1e-5, $"layer {layer}, head {head}, query {i}, key {j}");
                        rowSum += map[i, j];
                    }
                    Assert.AreEqual(1, rowSum, 1e-5, "each query's attention sums to one");
                    // The map times the values is what the model's scaled dot-product attention gave.
                    for (int d = 0; d < dim; d++)
                    {
                        double mixed = Enumerable.Range(0, tokens).Sum(j => map[i, j] * v[head, j, d]);
                        Assert.AreEqual(attended[head, i, d], mixed, 1e-4, $"layer {layer}, head {head}, query {i}: maps·V against SDPA");
                    }
                }
            }
        }
    }

    private static double[,,] Copy(Tensor t)
    {
        using var first = t[0].to(ScalarType.Float64).cpu().contiguous(); // [H, T, D]
        var flat = first.data<double>().ToArray();
        var result = new double[first.shape[0], first.shape[1], first.shape[2]];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
        return result;
    }

    [TestMethod]
    public void StatisticsAreComputedFromTheMapsAsDocumented()
    {
        // Four tokens: BOS, a number, an operator, a word. Query 0 is left out (it can only see itself).
        float[,] map =
        {
            { 1, 0, 0, 0 },
            { 0.5f, 0.5f, 0, 0 },
            { 0.2f, 0.2f, 0.6f, 0 },
            { 0.1f, 0.1f, 0.4f, 0.4f },
        };
        var text = new TextAttention("x", new[] { "<s>", " 12", " +", " apples" }, new[] { new[] { map } });
        var s = HeadStatistics.Of(0, 0, new[] { text });
        double H(params double[] p) => -p.Where(x => x > 0).Sum(x => x * Math.Log(x));
        Assert.AreEqual((H(0.5, 0.5) + H(0.2, 0.2, 0.6) + H(0.1, 0.1, 0.4, 0.4)) / 3, s.Entropy, 1e-6);
        Assert.AreEqual((0.5 + 0.2 + 0.1) / 3, s.FirstToken, 1e-6);
        Assert.AreEqual((0.5 + 0.2 + 0.4) / 3, s.PreviousToken, 1e-6, "keys 0, 1, 2 for queries 1, 2, 3");
        Assert.AreEqual((0.5 + 0.2 + 0.1) / 3, s.Numbers, 1e-6, "' 12' is a number");
        Assert.AreEqual((0 + 0.6 + 0.4) / 3, s.Operators, 1e-6, "' +' is an operator");
    }

    [TestMethod]
    public void ModelsOfOneArchitectureAreComparedHeadByHeadAndOthersByTheirMeans()
    {
        using var folder = new TempDirectory();
        var config = TinyCheckpoints.Config(hidden: 32, layers: 2);
        using var a = CausalLM.FromPretrained(TinyCheckpoints.Create(folder.Sub("a"), config, seed: 1));
        using var b = CausalLM.FromPretrained(TinyCheckpoints.Create(folder.Sub("b"), config, seed: 2));
        var texts = new[] { Text, "Question: 3+4=?" };
        var first = AttentionAnalysis.Analyze(a, texts, "base");
        var second = AttentionAnalysis.Analyze(b, texts, "distilled");
        Assert.AreEqual(2 * 4, first.Statistics.Count, "2 layers of 4 heads");
        Assert.AreEqual(first.Statistics.Where(s => s.Layer == 1).Average(s => s.Entropy), first.Mean("Entropy", 1), 1e-12);
        string table = AttentionReport.Compare(new[] { first, second });
        StringAssert.Contains(table, "| statistic | layer | base | distilled |");
        StringAssert.Contains(table, "- distilled, Numbers:");
        Assert.AreNotEqual(first[0, 0].Entropy, second[0, 0].Entropy, "different weights attend differently");

        using var wider = CausalLM.FromPretrained(TinyCheckpoints.Create(folder.Sub("c"), TinyCheckpoints.Config(hidden: 32, layers: 3), seed: 1));
        var other = AttentionAnalysis.Analyze(wider, texts, "three layers");
        // Another shape compares by its means, layer by layer, with "–" where a model has no such layer; heads are not matched.
        string across = AttentionReport.Compare(new[] { first, other });
        StringAssert.Contains(across, $"| Entropy | all | {first.Mean("Entropy"):F3} | {other.Mean("Entropy"):F3} |");
        StringAssert.Contains(across, $"| | 2 | – | {other.Mean("Entropy", 2):F3} |");
        StringAssert.Contains(across, "three layers has 3 layers of 4 heads and base 2 of 4");
        Assert.IsFalse(across.Contains("moved most", StringComparison.Ordinal), across);
        // A model compared with itself: no head moved, and no "0.000 → 0.000" rows.
        string same = AttentionReport.Compare(new[] { first, AttentionAnalysis.Analyze(a, texts, "again") });
        StringAssert.Contains(same, "- again, Numbers: no head moved");
        Assert.IsFalse(same.Contains("0.000 → 0.000", StringComparison.Ordinal) || same.Contains(": 0.", StringComparison.Ordinal), same);
        var fewer = AttentionAnalysis.Analyze(b, new[] { Text }, "fewer");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => AttentionReport.Compare(new[] { first, fewer })).Message, "same texts");
        Assert.ThrowsExactly<ArgumentException>(() => AttentionAnalysis.Analyze(a, Array.Empty<string>()));
    }
}
