namespace Microsoft.ML.Neo.Server;

/// <summary>
/// Batches concurrent scoring requests (a prompt's logprobs plus one greedy token: what a distillation client sends)
/// into one forward pass. A small forward pass leaves most of a CPU's matrix throughput unused.
/// </summary>
internal sealed class ScoringQueue : BatchingQueue<ScoringQueue.Request, SequenceScores>
{
    /// <summary>Most sequences in one pass.</summary>
    public const int MaxBatch = 16;

    /// <summary>Most padded tokens (batch × longest sequence) in one pass, so activations stay bounded.</summary>
    public const int MaxBatchTokens = 16_384;

    public sealed record Request(int[] Ids, int TopK);

    private readonly Func<IReadOnlyList<IReadOnlyList<int>>, int, Task<IReadOnlyList<SequenceScores>>> scoreOnModel;

    /// <param name="scoreOnModel">Scores a batch of sequences at a K, holding the model (see <see cref="ServedModel.RunAsync{T}"/>).</param>
    public ScoringQueue(Func<IReadOnlyList<IReadOnlyList<int>>, int, Task<IReadOnlyList<SequenceScores>>> scoreOnModel)
    {
        this.scoreOnModel = scoreOnModel;
    }

    public Task<SequenceScores> ScoreAsync(int[] ids, int topK, CancellationToken cancellation) => EnqueueAsync(new Request(ids, topK), cancellation);

    // The oldest requests whose padded size fits.
    protected override List<int> TakeBatch(IReadOnlyList<Request> waiting)
    {
        var batch = new List<int>();
        int longest = 0;
        for (int i = 0; i < waiting.Count; i++)
        {
            longest = Math.Max(longest, waiting[i].Ids.Length);
            if (batch.Count == MaxBatch || (batch.Count > 0 && longest * (batch.Count + 1) > MaxBatchTokens)) break;
            batch.Add(i);
        }
        return batch;
    }

    protected override Task<IReadOnlyList<SequenceScores>> RunAsync(IReadOnlyList<Request> batch) =>
        scoreOnModel(batch.Select(r => (IReadOnlyList<int>)r.Ids).ToList(), batch.Max(r => r.TopK));
}
