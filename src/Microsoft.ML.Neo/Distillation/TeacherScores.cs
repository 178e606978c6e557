using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation;

/// <summary>Fills the teacher score cache for a set of examples, running the teacher only on those it does not hold.</summary>
internal static class TeacherScores
{
    /// <returns>The examples with their <see cref="EncodedExample.TeacherScoreKey"/> set.</returns>
    public static List<EncodedExample> Precompute(LlamaForCausalLM teacher, IReadOnlyList<EncodedExample> examples, TeacherScoreCache cache,
        string fingerprint, int topK, int studentVocabulary, int padId, Action<string> log, int batchSize = 16)
    {
        int k = Math.Min(topK, studentVocabulary);
        var keyed = examples.Select(e =>
        {
            var view = e.TeacherView;
            return e with { TeacherScoreKey = TeacherScoreCache.Key(fingerprint, view.TokenIds, view.ResponseStart, k) };
        }).ToList();
        var missing = keyed.Where(e => !cache.Contains(e.TeacherScoreKey!)).DistinctBy(e => e.TeacherScoreKey).ToList();
        log($"teacher scores: {keyed.Count - missing.Count}/{keyed.Count} already in the cache at {cache.Path}; scoring {missing.Count} (top {k} per position).");
        bool wasTraining = teacher.training;
        teacher.eval();
        try
        {
            using var _ = no_grad();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var lastReport = TimeSpan.Zero;
            for (int start = 0; start < missing.Count; start += batchSize)
            {
                if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(10))
                {
                    lastReport = clock.Elapsed;
                    log($"teacher scores: {start}/{missing.Count} scored ({clock.Elapsed.TotalSeconds:F0} s)");
                }
                using var scope = NewDisposeScope();
                var batch = missing.Skip(start).Take(batchSize).ToList();
                var (inputs, labels) = TokenBatch.Create(batch.Select(e => e.TeacherView).ToList(), padId); // [B, L] each
                var logits = teacher.Forward(inputs.to(teacher.Device)).narrow(-1, 0, studentVocabulary);  // [B, L, V]
                var flat = logits.reshape(-1, studentVocabulary);                                           // [B·L, V]
                var rows = labels.reshape(-1).ne(DistillationLoss.IgnoreIndex).nonzero().reshape(-1).to(teacher.Device); // [M]
                var (values, indices) = flat.index_select(0, rows).topk(k, dim: -1);                       // [M, K] each
                var allIds = indices.to(ScalarType.Int32).cpu().data<int>().ToArray();
                var allLogits = values.cpu().data<float>().ToArray();
                int offset = 0;
                foreach (var example in batch)
                {
                    int positions = example.ResponseTokenCount;
                    cache.Add(example.TeacherScoreKey!, positions, k, allIds[(offset * k)..((offset + positions) * k)], allLogits[(offset * k)..((offset + positions) * k)]);
                    offset += positions;
                }
            }
        }
        finally
        {
            teacher.train(wasTraining);
        }
        return keyed;
    }
}
