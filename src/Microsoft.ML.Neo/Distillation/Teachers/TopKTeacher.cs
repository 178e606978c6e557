using Microsoft.ML.Neo.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// A teacher that runs online, its scores cut to their top K ids per position exactly as a cache keeps them
/// (<see cref="TopKScoring.InBatches"/> takes the same <c>topk</c> of the same logits), so a run with
/// <see cref="NeoDistillOptions.TeacherScoreTopK"/> learns the same thing with or without a cache folder.
/// </summary>
internal sealed class TopKTeacher(ITeacher inner, int topK) : ITeacher
{
    public string Fingerprint => inner.Fingerprint;

    public int ContextLength => inner.ContextLength;

    public IReadOnlySet<int> StopTokenIds => inner.StopTokenIds;

    public string? CacheSummary => inner.CacheSummary;

    public int[] Generate(int[] promptIds, int maxNewTokens, IReadOnlyCollection<int> stopIds) => inner.Generate(promptIds, maxNewTokens, stopIds);

    public int[][] Generate(IReadOnlyList<int[]> prompts, int maxNewTokens, IReadOnlyCollection<int> stopIds) => inner.Generate(prompts, maxNewTokens, stopIds);

    public TeacherBatchScores Score(TokenBatch batch, int vocabulary) => new TopKRows(inner.Score(batch, vocabulary), Math.Min(topK, vocabulary));

    public void ScoreTopK(IReadOnlyList<EncodedExample> examples, int vocabulary, int k, int padId, Action<EncodedExample, int[], float[]> store) =>
        inner.ScoreTopK(examples, vocabulary, k, padId, store);

    public void PrepareScores(IReadOnlyList<EncodedExample> examples, int vocabulary, int padId, Action<string> log) =>
        inner.PrepareScores(examples, vocabulary, padId, log);

    public override string ToString() => inner.ToString() ?? "teacher";

    public void Dispose() => inner.Dispose();

    // Each chunk of rows as its top K; rows that already are top-K keep their own ids.
    private sealed class TopKRows(TeacherBatchScores rows, int topK) : TeacherBatchScores
    {
        public override long RowCount => rows.RowCount;

        public override TeacherTargets Rows(long start, long count)
        {
            var targets = rows.Rows(start, count);
            if (targets.Logits.shape[^1] <= topK) return targets;
            var (values, picked) = targets.Logits.topk(topK, dim: -1);                   // [n, K] each
            var ids = targets.Ids is null ? picked : targets.Ids.gather(1, picked);      // [n, K] token ids
            return new TeacherTargets(values, ids) { HasEmptyEntries = targets.HasEmptyEntries, UldRows = targets.UldRows };
        }
    }
}
