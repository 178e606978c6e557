using Microsoft.ML.Neo.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>Top-K scores of a teacher that scores whole batches (<see cref="ITeacher.Score"/>), a batch at a time.</summary>
internal static class TopKScoring
{
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
