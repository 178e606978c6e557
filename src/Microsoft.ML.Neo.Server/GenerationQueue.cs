using System.Threading.Channels;

namespace Microsoft.ML.Neo.Server;

/// <summary>
/// Batches concurrent completion requests into one batched decoding pass (<see cref="CausalLM.Generate(IReadOnlyList{int[]}, GenerationOptions?, IReadOnlyList{int}?, IReadOnlyList{int}?)"/>):
/// while the model decodes one batch, the requests that arrive wait, and the next pass takes those that sample alike
/// (the same temperature and top-p), each with its own prompt, token budget and seed. Static batches: a request joins
/// the pass after the one that is running, not a running one.
/// </summary>
internal sealed class GenerationQueue : IAsyncDisposable
{
    /// <summary>Most sequences in one pass.</summary>
    public const int MaxBatch = 16;

    /// <summary>Most tokens one pass can hold (sequences × (longest prompt + longest budget)), so the KV cache stays bounded.</summary>
    public const int MaxBatchTokens = 32_768;

    private sealed record Job(int[] Ids, GenerationOptions Options, TaskCompletionSource<int[]> Done, CancellationToken Cancellation);

    public delegate Task<int[][]> GenerateOnModel(IReadOnlyList<int[]> prompts, GenerationOptions options, IReadOnlyList<int> seeds, IReadOnlyList<int> budgets);

    private readonly Channel<Job> jobs = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly GenerateOnModel generateOnModel;
    private readonly Task worker;

    /// <param name="generateOnModel">Decodes a batch, holding the model (see <see cref="ServedModel.RunAsync{T}"/>).</param>
    public GenerationQueue(GenerateOnModel generateOnModel)
    {
        this.generateOnModel = generateOnModel;
        worker = Task.Run(WorkAsync);
    }

    /// <summary>Told the size of every decoding pass (for <see cref="ServerStatistics"/>).</summary>
    public Action<int>? OnPass { get; set; }

    /// <summary>The generated ids after <paramref name="ids"/>, without the stop id that ended them.</summary>
    public Task<int[]> GenerateAsync(int[] ids, GenerationOptions options, CancellationToken cancellation)
    {
        var done = new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!jobs.Writer.TryWrite(new Job(ids, options, done, cancellation)))
            done.SetException(new ObjectDisposedException(nameof(GenerationQueue), "The server is stopping."));
        return done.Task.WaitAsync(cancellation);
    }

    private static bool SampleAlike(GenerationOptions a, GenerationOptions b) =>
        a.Temperature == b.Temperature && a.TopP == b.TopP && a.UseKvCache == b.UseKvCache;

    private async Task WorkAsync()
    {
        var pending = new List<Job>();
        while (pending.Count > 0 || await jobs.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (jobs.Reader.TryRead(out var job)) pending.Add(job);
            pending.RemoveAll(j =>
            {
                if (!j.Cancellation.IsCancellationRequested) return false;
                j.Done.TrySetCanceled(j.Cancellation);
                return true;
            });
            if (pending.Count == 0) continue;
            // The oldest request and those that sample as it does, in arrival order, as many as fit.
            var first = pending[0];
            var batch = new List<Job>();
            int longest = 0;
            foreach (var job in pending.Where(j => SampleAlike(j.Options, first.Options)))
            {
                int size = Math.Max(longest, job.Ids.Length + job.Options.MaxNewTokens);
                if (batch.Count == MaxBatch || (batch.Count > 0 && size * (batch.Count + 1) > MaxBatchTokens)) break;
                longest = size;
                batch.Add(job);
            }
            foreach (var job in batch) pending.Remove(job);
            try
            {
                var options = first.Options with { MaxNewTokens = batch.Max(j => j.Options.MaxNewTokens) };
                var results = await generateOnModel(batch.Select(j => j.Ids).ToList(), options,
                    batch.Select(j => j.Options.Seed).ToList(), batch.Select(j => j.Options.MaxNewTokens).ToList()).ConfigureAwait(false);
                OnPass?.Invoke(batch.Count);
                for (int i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
            }
            catch (Exception e)
            {
                foreach (var job in batch) job.Done.TrySetException(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        jobs.Writer.TryComplete();
        await worker.ConfigureAwait(false);
    }
}
