using Microsoft.ML.Neo.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// The two directions between a teacher's batch scores (<see cref="ITeacher.Score"/>) and its per-example top K
/// (<see cref="ITeacher.ScoreTopK"/>), so each teacher implements one and gets the other.
/// </summary>
internal static class TopKScoring
{
    /// <summary>
    /// A batch's scores from <see cref="ITeacher.ScoreTopK"/>: each example's top K, in batch order whatever order they
    /// arrive in, as [M, K] tensors on the batch's device, in the caller's dispose scope.
    /// </summary>
    public static TeacherBatchScores AsBatchScores(ITeacher teacher, TokenBatch batch, int vocabulary, int topK)
    {
        var scored = new Dictionary<EncodedExample, (int[] Ids, float[] Logits)>(ReferenceEqualityComparer.Instance);
        teacher.ScoreTopK(batch.Examples, vocabulary, topK, batch.PadId, (example, ids, logits) => scored[example] = (ids, logits));
        var allIds = new List<long>();
        var allLogits = new List<float>();
        foreach (var example in batch.Examples)
        {
            var (ids, logits) = scored[example];
            allIds.AddRange(ids.Select(i => (long)i));
            allLogits.AddRange(logits);
        }
        long positions = allIds.Count / topK;
        var device = batch.Inputs.device;
        return new KnownTeacherScores(new TeacherTargets(tensor(allLogits.ToArray(), new[] { positions, topK }).to(device), // [M, K]
            tensor(allIds.ToArray(), new[] { positions, (long)topK }).to(device)));                                           // [M, K]
    }

    /// <summary>Top-K scores of a teacher that scores whole batches, a batch at a time.</summary>
    private const int BatchSize = 16;

    public static void InBatches(ITeacher teacher, IReadOnlyList<EncodedExample> examples, int vocabulary, int topK, int padId,
        Action<EncodedExample, int[], float[]> store)
    {
        for (int start = 0; start < examples.Count; start += BatchSize)
        {
            var chunk = examples.Skip(start).Take(BatchSize).ToList();
            using var scope = NewDisposeScope();
            var scored = teacher.Score(TokenBatch.Create(chunk, padId), vocabulary).All();
            if (scored.Logits.shape[^1] < topK)
                throw new InvalidOperationException($"{teacher} returned {scored.Logits.shape[^1]} scores per position; the cache keeps the top {topK}.");
            var (values, picked) = scored.Logits.topk(topK, dim: -1);                // [M, K] each
            var indices = scored.Ids is null ? picked : scored.Ids.gather(1, picked); // [M, K] token ids
            var allIds = indices.to(ScalarType.Int32).cpu().data<int>().ToArray();
            var allLogits = values.to(ScalarType.Float32).cpu().data<float>().ToArray();
            NonFiniteLogitsException.ThrowIfAny(allLogits, $"The teacher ({teacher})"); // never cached, never trained on
            int offset = 0;
            foreach (var example in chunk)
            {
                int positions = example.ResponseTokenCount;
                store(example, allIds[(offset * topK)..((offset + positions) * topK)], allLogits[(offset * topK)..((offset + positions) * topK)]);
                offset += positions;
            }
        }
    }
}
