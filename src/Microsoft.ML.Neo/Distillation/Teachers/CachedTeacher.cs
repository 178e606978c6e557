using System.Diagnostics;
using Microsoft.ML.Neo.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// A file-backed cache in front of another teacher: generations go to <see cref="TeacherGenerationCache"/>, scores to
/// <see cref="TeacherScoreCache"/> as the teacher's top-K logits per response position, so repeated runs and sweeps do
/// not ask the teacher again. Entries are keyed by the teacher's fingerprint and the exact tokens it read. Each cache
/// file is opened on first use. After <see cref="PrepareScores"/> the teacher behind it is released, and scores come
/// from the cache alone.
/// </summary>
internal sealed class CachedTeacher : ITeacher
{
    private const int ScoringBatchSize = 16;

    private readonly string directory;
    private readonly int topK;
    private readonly Lazy<string> fingerprint;
    private ITeacher? inner;
    private TeacherGenerationCache? generations;
    private TeacherScoreCache? scores;

    /// <param name="inner">The teacher asked on a miss; owned (disposed) by this cache.</param>
    /// <param name="topK">How many of the teacher's logits per position are kept (capped at the vocabulary).</param>
    public CachedTeacher(ITeacher inner, string directory, int topK)
    {
        this.inner = inner;
        this.directory = directory;
        this.topK = topK;
        fingerprint = new Lazy<string>(() => inner.Fingerprint);
        ContextLength = inner.ContextLength;
        StopTokenIds = inner.StopTokenIds;
    }

    public string Fingerprint => fingerprint.Value;

    public int ContextLength { get; }

    public IReadOnlySet<int> StopTokenIds { get; }

    public string? CacheSummary => generations is null ? null : $"{generations.Hits} from the cache at {generations.Path}";

    /// <summary>How many generations came from the cache.</summary>
    internal int GenerationHits => generations?.Hits ?? 0;

    public int[] Generate(int[] promptIds, int maxNewTokens, IReadOnlyCollection<int> stopIds)
    {
        int maxNew = Math.Min(maxNewTokens, ContextLength - promptIds.Length);
        if (maxNew <= 0) return Array.Empty<int>();
        generations ??= new TeacherGenerationCache(directory);
        string key = TeacherGenerationCache.Key(fingerprint.Value, promptIds, maxNew, stopIds);
        if (generations.TryGet(key, out var cached)) return cached;
        var generated = Inner("generate").Generate(promptIds, maxNew, stopIds);
        generations.Add(key, generated);
        return generated;
    }

    public TeacherBatchScores Score(TokenBatch batch, int vocabulary)
    {
        int k = Math.Min(topK, vocabulary);
        var keys = batch.Examples.Select(e => Key(e, k)).ToList();
        var cache = OpenScores();
        var missing = batch.Examples.Where((_, i) => !cache.Contains(keys[i])).ToList();
        if (missing.Count > 0) ScoreAndStore(missing, vocabulary, k, batch.PadId);
        var ids = new List<long>();
        var logits = new List<float>();
        foreach (var key in keys)
        {
            var record = cache.Read(key);
            ids.AddRange(record.Ids.Select(i => (long)i));
            logits.AddRange(record.Logits);
        }
        long positions = ids.Count / k;
        var device = batch.Inputs.device;
        return new KnownTeacherScores(new TeacherTargets(tensor(logits.ToArray(), new[] { positions, k }).to(device), // [M, K]
            tensor(ids.ToArray(), new[] { positions, k }).to(device)));                                               // [M, K]
    }

    public void PrepareScores(IReadOnlyList<EncodedExample> examples, int vocabulary, int padId, Action<string> log)
    {
        int k = Math.Min(topK, vocabulary);
        var cache = OpenScores();
        var missing = examples.Select(e => (Example: e, Key: Key(e, k))).Where(e => !cache.Contains(e.Key))
            .DistinctBy(e => e.Key).Select(e => e.Example).ToList();
        log($"teacher scores: {examples.Count - missing.Count}/{examples.Count} already in the cache at {cache.Path}; scoring {missing.Count} (top {k} per position).");
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        for (int start = 0; start < missing.Count; start += ScoringBatchSize)
        {
            if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(10))
            {
                lastReport = clock.Elapsed;
                log($"teacher scores: {start}/{missing.Count} scored ({clock.Elapsed.TotalSeconds:F0} s)");
            }
            ScoreAndStore(missing.Skip(start).Take(ScoringBatchSize).ToList(), vocabulary, k, padId);
        }
        _ = fingerprint.Value; // keys still need it once the teacher is gone
        inner?.Dispose();      // training reads the cache; the teacher is no longer needed
        inner = null;
    }

    // Asks the teacher behind the cache for one batch of examples and appends their top-K records.
    private void ScoreAndStore(IReadOnlyList<EncodedExample> examples, int vocabulary, int k, int padId)
    {
        var teacher = Inner("score");
        using var scope = NewDisposeScope();
        var batch = TokenBatch.Create(examples, padId);
        var scored = teacher.Score(batch, vocabulary).All();
        if (scored.Logits.shape[^1] < k)
            throw new InvalidOperationException($"{teacher} returned {scored.Logits.shape[^1]} scores per position; the cache keeps the top {k}.");
        var (values, picked) = scored.Logits.topk(k, dim: -1);                   // [M, K] each
        var indices = scored.Ids is null ? picked : scored.Ids.gather(1, picked); // [M, K] token ids
        var allIds = indices.to(ScalarType.Int32).cpu().data<int>().ToArray();
        var allLogits = values.to(ScalarType.Float32).cpu().data<float>().ToArray();
        int offset = 0;
        foreach (var example in examples)
        {
            int positions = example.ResponseTokenCount;
            scores!.Add(Key(example, k), positions, k, allIds[(offset * k)..((offset + positions) * k)], allLogits[(offset * k)..((offset + positions) * k)]);
            offset += positions;
        }
    }

    private string Key(EncodedExample example, int k)
    {
        var view = example.TeacherView;
        return TeacherScoreCache.Key(fingerprint.Value, view.TokenIds, view.ResponseStart, k);
    }

    private TeacherScoreCache OpenScores() => scores ??= new TeacherScoreCache(directory);

    private ITeacher Inner(string what) => inner ?? throw new InvalidOperationException(
        $"The teacher behind the cache at '{directory}' was released after its scores were precomputed; it cannot {what} examples the cache lacks.");

    public void Dispose()
    {
        generations?.Dispose();
        scores?.Dispose();
        inner?.Dispose();
    }
}
