using TorchSharp;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Generation;

/// <summary>
/// Autoregressive decoding of many sequences at once: the prompts are left-padded into one batch with a shared KV
/// cache, each row keeps its own positions (counted from its first real token) and its pads are hidden from attention,
/// so a row decodes as it would alone. Rows stop on their own (a stop id, their token budget, the end of the context)
/// and leave the batch: the cache keeps only the rows still decoding. Sampling draws each row from its own generator, seeded per row,
/// so a row's sample does not depend on its neighbours.
/// </summary>
internal static class BatchGenerator
{
    /// <summary>The generated ids of each prompt, in order, stopping at (and leaving out) any of <paramref name="stopIds"/>.</summary>
    /// <param name="seeds">The sampling seed of each row; null: <see cref="GenerationOptions.Seed"/> for every row (as one-at-a-time calls).</param>
    /// <param name="padId">The id the padding positions hold (never attended to).</param>
    /// <param name="maxNewTokens">Each row's own token budget (1 or more); null: <see cref="GenerationOptions.MaxNewTokens"/> for every row.</param>
    public static int[][] Generate(DecoderForCausalLM model, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options,
        IReadOnlyCollection<int> stopIds, int padId, IReadOnlyList<int>? seeds = null, CancellationToken cancellation = default,
        IReadOnlyList<int>? maxNewTokens = null)
    {
        options.Validate();
        if (prompts.Count == 0) return Array.Empty<int[]>();
        if (seeds is not null && seeds.Count != prompts.Count)
            throw new ArgumentException($"{seeds.Count} seeds for {prompts.Count} prompts; give one per prompt.", nameof(seeds));
        if (maxNewTokens is not null && (maxNewTokens.Count != prompts.Count || maxNewTokens.Any(m => m < 1)))
            throw new ArgumentException($"Give one token budget of 1 or more per prompt ({prompts.Count}); got {maxNewTokens.Count}.", nameof(maxNewTokens));
        int contextLength = model.Config.ContextLength;
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i].Count == 0) throw new ArgumentException($"Prompt {i} has no tokens; every prompt needs at least one.", nameof(prompts));
            if (prompts[i].Count >= contextLength)
                throw new ArgumentException($"Prompt {i} has {prompts[i].Count} tokens; the model's context is {contextLength}.", nameof(prompts));
        }
        GenerationOptions RowOptions(int i) => options with { Seed = seeds?[i] ?? options.Seed, MaxNewTokens = maxNewTokens?[i] ?? options.MaxNewTokens };
        if (!options.UseKvCache)
            return prompts.Select((p, i) => TokenGenerator.Generate(model, p, RowOptions(i), stopIds)).ToArray();

        int rows = prompts.Count, longest = prompts.Max(p => p.Count);
        var generators = options.Temperature > 0
            ? Enumerable.Range(0, rows).Select(i => new Generator((ulong)(seeds?[i] ?? options.Seed))).ToArray()
            : null;
        var outputs = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        // A row may use the context left after its own prompt, not after the longest one.
        var budgets = prompts.Select((p, i) => Math.Min(maxNewTokens?[i] ?? options.MaxNewTokens, contextLength - p.Count)).ToArray();
        var done = budgets.Select(b => b <= 0).ToArray();
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var cache = model.NewCache();
            // The run's own tensors (the pad counts) live in this scope; each step's in its own, inside it.
            using var runScope = NewDisposeScope();
            var padding = tensor(prompts.Select(p => (long)(longest - p.Count)).ToArray()).to(model.Device); // [B]
            // The rows still decoding, as indices into the prompts; the batch shrinks as rows finish, so one long
            // completion does not keep finished rows computing.
            var active = Enumerable.Range(0, rows).Where(r => !done[r]).ToList();
            var feed = new long[active.Count * longest];
            for (int a = 0; a < active.Count; a++)
            {
                var prompt = prompts[active[a]];
                for (int t = 0; t < longest; t++)
                    feed[a * longest + t] = t < longest - prompt.Count ? padId : prompt[t - (longest - prompt.Count)];
            }
            if (active.Count < rows) Shrink(cache, ref padding, active.Select(r => (long)r).ToArray(), model.Device);
            long width = longest;
            while (active.Count > 0)
            {
                cancellation.ThrowIfCancellationRequested();
                long[] picked;
                using (no_grad())
                using (NewDisposeScope())
                {
                    var input = tensor(feed, new long[] { active.Count, width }).to(model.Device); // [B', T]: the prompts, then one token per row
                    var hidden = model.Hidden(input, cache, padding);                              // [B', T, C]
                    var last = model.Head(hidden.select(1, width - 1)).to(ScalarType.Float32);    // [B', V]
                    NonFiniteLogitsException.ThrowIfAny(last, "The model");
                    picked = Pick(last, options, generators, active);
                }
                var still = new List<int>(active.Count);
                for (int a = 0; a < active.Count; a++)
                {
                    int r = active[a], next = (int)picked[a];
                    if (stopIds.Contains(next)) { done[r] = true; continue; }
                    outputs[r].Add(next);
                    if (outputs[r].Count >= budgets[r]) done[r] = true;
                    else still.Add(a);
                }
                if (still.Count < active.Count && still.Count > 0)
                    Shrink(cache, ref padding, still.Select(a => (long)a).ToArray(), model.Device);
                active = still.Select(a => active[a]).ToList();
                // The next step feeds each row still decoding its new token.
                feed = active.Select(r => (long)outputs[r][^1]).ToArray();
                width = 1;
            }
            return outputs.Select(o => o.ToArray()).ToArray();
        }
        finally
        {
            model.train(wasTraining);
            if (generators is not null) foreach (var generator in generators) generator.Dispose();
        }
    }

    /// <summary>
    /// Generates for any number of prompts, <paramref name="batchSize"/> at a time, prompts of similar length together
    /// (so a batch pads little); the results come back in the prompts' order.
    /// </summary>
    /// <param name="onBatch">Told the size of each batch once it is decoded.</param>
    public static int[][] GenerateGrouped(DecoderForCausalLM model, IReadOnlyList<IReadOnlyList<int>> prompts, int batchSize,
        GenerationOptions options, IReadOnlyCollection<int> stopIds, int padId, Action<int>? onBatch = null)
    {
        var results = new int[prompts.Count][];
        var order = Enumerable.Range(0, prompts.Count).OrderBy(i => prompts[i].Count).ToArray();
        foreach (var block in order.Chunk(batchSize))
        {
            var generated = Generate(model, block.Select(i => prompts[i]).ToList(), options, stopIds, padId);
            for (int k = 0; k < block.Length; k++) results[block[k]] = generated[k];
            onBatch?.Invoke(block.Length);
        }
        return results;
    }

    // Greedy: the argmax of every row at once. Sampling: row by row with the row's own generator, as TokenGenerator
    // samples a single sequence, so a row draws what it would draw alone.
    private static long[] Pick(Tensor logits, GenerationOptions options, Generator[]? generators, List<int> active)
    {
        if (generators is null) return logits.argmax(-1).data<long>().ToArray();
        var picked = new long[active.Count];
        for (int a = 0; a < picked.Length; a++) picked[a] = TokenGenerator.PickToken(logits[a], options, generators[active[a]]);
        return picked;
    }

    // Keeps the given batch rows of the cache and of the pad counts (which live in the run's scope).
    private static void Shrink(KvCache cache, ref Tensor padding, long[] keep, Device device)
    {
        using var rows = tensor(keep).to(device);
        cache.KeepRows(rows);
        padding = padding.index_select(0, rows);
    }
}
