using System.Threading.Channels;

namespace Microsoft.ML.Neo.Server;

/// <summary>
/// Batches concurrent requests into shared passes over the model, as serving engines do: while the model works on one
/// batch, the requests that arrive wait, and the next pass takes as many as <see cref="TakeBatch"/> chooses, oldest
/// first. Requests cancelled while waiting leave the queue; the rest wait for a later pass.
/// </summary>
/// <typeparam name="TRequest">What one request asks for.</typeparam>
/// <typeparam name="TResult">What it gets back.</typeparam>
internal abstract class BatchingQueue<TRequest, TResult> : IAsyncDisposable
{
    protected sealed record Job(TRequest Request, TaskCompletionSource<TResult> Done, CancellationToken Cancellation);

    private readonly Channel<Job> jobs = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task worker;

    protected BatchingQueue()
    {
        worker = Task.Run(WorkAsync);
    }

    /// <summary>Queues a request; the task ends with its result, or is cancelled with <paramref name="cancellation"/>.</summary>
    protected Task<TResult> EnqueueAsync(TRequest request, CancellationToken cancellation)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!jobs.Writer.TryWrite(new Job(request, done, cancellation)))
            done.SetException(new ObjectDisposedException(GetType().Name, "The server is stopping."));
        return done.Task.WaitAsync(cancellation);
    }

    /// <summary>The indices (into <paramref name="waiting"/>, oldest first) of the next pass's requests; never empty when some wait.</summary>
    protected abstract List<int> TakeBatch(IReadOnlyList<TRequest> waiting);

    /// <summary>Runs one pass on the model (holding it); one result per request, in order.</summary>
    protected abstract Task<IReadOnlyList<TResult>> RunAsync(IReadOnlyList<TRequest> batch);

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
            var chosen = TakeBatch(pending.Select(j => j.Request).ToList()).ToHashSet();
            var batch = chosen.Order().Select(i => pending[i]).ToList();
            pending = pending.Where((_, i) => !chosen.Contains(i)).ToList();
            try
            {
                var results = await RunAsync(batch.Select(j => j.Request).ToList()).ConfigureAwait(false);
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
