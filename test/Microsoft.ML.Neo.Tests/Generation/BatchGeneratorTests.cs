using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Generation;

/// <summary>
/// Batched generation (left-padded prompts, one shared KV cache, per-row positions and stops) gives every prompt what
/// it gets alone: greedy outputs token for token, sampled outputs with per-row seeds, in every family's attention
/// variant (sliding windows, local rotary bases, partial rotation with LongRoPE, NoPE layers).
/// </summary>
[TestClass]
public sealed class BatchGeneratorTests
{
    // Prompts of very different lengths: one token, a few, and past the LongRoPE test family's original context (64).
    private static readonly int[] Lengths = { 1, 5, 23, 2, 70, 11 };

    private static List<IReadOnlyList<int>> Prompts(int vocab, int seed)
    {
        var random = new Random(seed);
        return Lengths.Select(n => (IReadOnlyList<int>)Enumerable.Range(0, n).Select(_ => random.Next(3, vocab)).ToList()).ToList();
    }

    [TestMethod]
    [DataRow("llama")]
    [DataRow("gemma3_text")]
    [DataRow("phi3")]
    [DataRow("smollm3")]
    [DataRow("qwen3")]
    public void BatchedGreedyEqualsOneAtATime(string family)
    {
        manual_seed(7);
        using var model = new DecoderForCausalLM(TinyCheckpoints.AsFamily(TinyCheckpoints.Config(hidden: 64, context: 128), family));
        var prompts = Prompts(model.Config.VocabSize, seed: 3);
        // No stop ids: every row runs its whole budget, and the 70-token prompt reaches far past position 64.
        var options = new GenerationOptions { MaxNewTokens = 24 };
        var alone = prompts.Select(p => TokenGenerator.Generate(model, p, options, Array.Empty<int>())).ToList();
        var batched = BatchGenerator.Generate(model, prompts, options, Array.Empty<int>(), padId: 0);
        for (int i = 0; i < prompts.Count; i++)
            CollectionAssert.AreEqual(alone[i], batched[i], $"{family}: prompt {i} ({prompts[i].Count} tokens)");
    }

    [TestMethod]
    public void RowsStopOnTheirOwnAndKeepTheirOwnContextBudget()
    {
        manual_seed(8);
        using var model = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 64, context: 80));
        var prompts = Prompts(model.Config.VocabSize, seed: 4);
        var options = new GenerationOptions { MaxNewTokens = 30 };
        // A stop id that greedy decoding reaches in some rows and not others.
        var free = prompts.Select(p => TokenGenerator.Generate(model, p, options, Array.Empty<int>())).ToList();
        int stop = free.SelectMany(o => o.Skip(3)).GroupBy(id => id).OrderByDescending(g => g.Count()).First().Key;
        var stops = new[] { stop };
        var alone = prompts.Select(p => TokenGenerator.Generate(model, p, options, stops)).ToList();
        var batched = BatchGenerator.Generate(model, prompts, options, stops, padId: 0);
        Assert.IsTrue(alone.Select(o => o.Length).Distinct().Count() > 1, "rows end at different lengths");
        for (int i = 0; i < prompts.Count; i++) CollectionAssert.AreEqual(alone[i], batched[i], $"prompt {i}");
        Assert.AreEqual(80 - 70, batched[Array.IndexOf(Lengths, 70)].Length, "the 70-token prompt stops at the end of its context");
    }

    [TestMethod]
    public void SampledRowsDrawWhatTheyDrawAloneWithTheirOwnSeeds()
    {
        manual_seed(9);
        using var model = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 64, context: 128));
        var prompts = Prompts(model.Config.VocabSize, seed: 5);
        var options = new GenerationOptions { MaxNewTokens = 16, Temperature = 1.2f, TopP = 0.9f };
        int[] seeds = { 11, 12, 13, 14, 15, 16 };
        var alone = prompts.Select((p, i) => TokenGenerator.Generate(model, p, options with { Seed = seeds[i] }, Array.Empty<int>())).ToList();
        var batched = BatchGenerator.Generate(model, prompts, options, Array.Empty<int>(), padId: 0, seeds);
        for (int i = 0; i < prompts.Count; i++) CollectionAssert.AreEqual(alone[i], batched[i], $"prompt {i}");
        var again = BatchGenerator.Generate(model, prompts, options, Array.Empty<int>(), padId: 0, seeds);
        for (int i = 0; i < prompts.Count; i++) CollectionAssert.AreEqual(batched[i], again[i], "reproducible");
        var reordered = BatchGenerator.Generate(model, prompts.AsEnumerable().Reverse().ToList(), options, Array.Empty<int>(), padId: 0, seeds.Reverse().ToList());
        for (int i = 0; i < prompts.Count; i++) CollectionAssert.AreEqual(batched[i], reordered[prompts.Count - 1 - i], "a row's draw does not depend on its neighbours");
    }

    [TestMethod]
    public void LiveTensorCountStaysFlatOverManyBatches()
    {
        manual_seed(10);
        using var model = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 32, context: 128));
        var prompts = Prompts(model.Config.VocabSize, seed: 6);
        var options = new GenerationOptions { MaxNewTokens = 8 };
        BatchGenerator.Generate(model, prompts, options, Array.Empty<int>(), padId: 0);
        long before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var deltas = new List<long>();
        for (int i = 0; i < 20; i++)
        {
            BatchGenerator.Generate(model, prompts, options, Array.Empty<int>(), padId: 0);
            deltas.Add(TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount - before);
        }
        Assert.AreEqual(0, deltas[^1], string.Join(",", deltas));
        Assert.AreEqual(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount, "no tensor outlives a batch");
    }
}
