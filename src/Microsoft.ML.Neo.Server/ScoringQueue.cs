using System.Threading.Channels;

namespace Microsoft.ML.Neo.Server;

/// <summary>
/// Batches concurrent scoring requests (a prompt's logprobs plus one greedy token: what a distillation client sends)
/// into one forward pass, as serving engines do: while the model works on one batch, the requests that arrive wait, and
/// the next pass takes all of them. A small forward pass leaves most of a CPU's matrix throughput unused.
/// </summary>
internal sealed class ScoringQueue : IAsyncDisposable
{
    /// <summary>Most sequences in one pass.</summary>
    public const int MaxBatch = 16;

    /// <summary>Most padded tokens (batch × longest sequence) in one pass, so activations stay bounded.</summary>
    public const int MaxBatchTokens = 16_384;

    private sealed record Job(int[] Ids, int TopK, TaskCompletionSource<SequenceScores> Done, CancellationToken Cancellation);

    private readonly Channel<Job> jobs = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<IReadOnlyList<int>>, int, Task<IReadOnlyList<SequenceScores>>> scoreOnModel;
    private readonly Task worker;

    /// <param name="scoreOnModel">Scores a batch of sequences at a K, holding the model (see <see cref="ServedModel.RunAsync{T}"/>).</param>
    public ScoringQueue(Func<IReadOnlyList<IReadOnlyList<int>>, int, Task<IReadOnlyList<SequenceScores>>> scoreOnModel)
    {
        this.scoreOnModel = scoreOnModel;
        worker = Task.Run(WorkAsync);
    }

    public Task<SequenceScores> ScoreAsync(int[] ids, int topK, CancellationToken cancellation)
    {
        var done = new TaskCompletionSource<SequenceScores>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!jobs.Writer.TryWrite(new Job(ids, topK, done, cancellation)))
            done.SetException(new ObjectDisposedException(nameof(ScoringQueue), "The server is stopping."));
        return done.Task;
    }

    private async Task WorkAsync()
    {
        var pending = new List<Job>();
        while (await jobs.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (pending.Count < MaxBatch && jobs.Reader.TryRead(out var job))
            {
                if (job.Cancellation.IsCancellationRequested) job.Done.TrySetCanceled(job.Cancellation);
                else pending.Add(job);
            }
            // Take the longest batch whose padded size fits; the rest waits for the next pass.
            var batch = new List<Job>();
            int longest = 0;
            foreach (var job in pending)
            {
                longest = Math.Max(longest, job.Ids.Length);
                if (batch.Count > 0 && longest * (batch.Count + 1) > MaxBatchTokens) break;
                batch.Add(job);
            }
            pending.RemoveRange(0, batch.Count);
            if (batch.Count == 0) continue;
            try
            {
                int topK = batch.Max(j => j.TopK);
                var results = await scoreOnModel(batch.Select(j => (IReadOnlyList<int>)j.Ids).ToList(), topK).ConfigureAwait(false);
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
