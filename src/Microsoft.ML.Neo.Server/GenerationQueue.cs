namespace Microsoft.ML.Neo.Server;

/// <summary>
/// Batches concurrent completion requests into one batched decoding pass (<see cref="CausalLM.Generate(IReadOnlyList{int[]}, GenerationOptions?, IReadOnlyList{int}?, IReadOnlyList{int}?)"/>):
/// the next pass takes the oldest request and those that sample as it does (the same temperature and top-p), each with
/// its own prompt, token budget and seed. Static batches: a request joins the pass after the one that is running.
/// </summary>
internal sealed class GenerationQueue : BatchingQueue<GenerationQueue.Request, int[]>
{
    /// <summary>Most sequences in one pass.</summary>
    public const int MaxBatch = 16;

    /// <summary>Most tokens one pass can hold (sequences × (longest prompt + longest budget)), so the KV cache stays bounded.</summary>
    public const int MaxBatchTokens = 32_768;

    public sealed record Request(int[] Ids, GenerationOptions Options);

    public delegate Task<int[][]> GenerateOnModel(IReadOnlyList<int[]> prompts, GenerationOptions options, IReadOnlyList<int> seeds, IReadOnlyList<int> budgets);

    private readonly GenerateOnModel generateOnModel;

    /// <param name="generateOnModel">Decodes a batch, holding the model (see <see cref="ServedModel.RunAsync{T}"/>).</param>
    public GenerationQueue(GenerateOnModel generateOnModel)
    {
        this.generateOnModel = generateOnModel;
    }

    /// <summary>Told the size of every decoding pass (for <see cref="ServerStatistics"/>).</summary>
    public Action<int>? OnPass { get; set; }

    /// <summary>The generated ids after <paramref name="ids"/>, without the stop id that ended them.</summary>
    public Task<int[]> GenerateAsync(int[] ids, GenerationOptions options, CancellationToken cancellation) =>
        EnqueueAsync(new Request(ids, options), cancellation);

    private static bool SampleAlike(GenerationOptions a, GenerationOptions b) =>
        a.Temperature == b.Temperature && a.TopP == b.TopP && a.UseKvCache == b.UseKvCache;

    protected override List<int> TakeBatch(IReadOnlyList<Request> waiting)
    {
        var batch = new List<int>();
        int longest = 0;
        for (int i = 0; i < waiting.Count; i++)
        {
            if (!SampleAlike(waiting[i].Options, waiting[0].Options)) continue;
            int size = Math.Max(longest, waiting[i].Ids.Length + waiting[i].Options.MaxNewTokens);
            if (batch.Count == MaxBatch || (batch.Count > 0 && size * (batch.Count + 1) > MaxBatchTokens)) break;
            longest = size;
            batch.Add(i);
        }
        return batch;
    }

    protected override async Task<IReadOnlyList<int[]>> RunAsync(IReadOnlyList<Request> batch)
    {
        var options = batch[0].Options with { MaxNewTokens = batch.Max(r => r.Options.MaxNewTokens) };
        var results = await generateOnModel(batch.Select(r => r.Ids).ToList(), options,
            batch.Select(r => r.Options.Seed).ToList(), batch.Select(r => r.Options.MaxNewTokens).ToList()).ConfigureAwait(false);
        OnPass?.Invoke(batch.Count);
        return results;
    }
}
