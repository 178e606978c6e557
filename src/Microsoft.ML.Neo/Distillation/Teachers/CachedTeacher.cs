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
        var ids = new List<long>();
        var logits = new List<float>();
        ScoreTopK(batch.Examples, vocabulary, k, batch.PadId, (_, exampleIds, exampleLogits) =>
        {
            ids.AddRange(exampleIds.Select(i => (long)i));
            logits.AddRange(exampleLogits);
        });
        long positions = ids.Count / k;
        var device = batch.Inputs.device;
        return new KnownTeacherScores(new TeacherTargets(tensor(logits.ToArray(), new[] { positions, k }).to(device), // [M, K]
            tensor(ids.ToArray(), new[] { positions, k }).to(device)));                                               // [M, K]
    }

    /// <summary>Asks the teacher behind the cache for the examples it lacks, then reads every example from the cache, in order.</summary>
    public void ScoreTopK(IReadOnlyList<EncodedExample> examples, int vocabulary, int k, int padId, Action<EncodedExample, int[], float[]> store)
    {
        var cache = OpenScores();
        var missing = examples.Where(e => !cache.Contains(Key(e, k))).DistinctBy(e => Key(e, k)).ToList();
        if (missing.Count > 0) Inner("score").ScoreTopK(missing, vocabulary, k, padId, (e, ids, logits) => cache.Add(Key(e, k), e.ResponseTokenCount, k, ids, logits));
        foreach (var example in examples)
        {
            var record = cache.Read(Key(example, k));
            store(example, record.Ids, record.Logits);
        }
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
        int done = 0;
        long tokens = 0;
        try
        {
            if (missing.Count > 0)
            {
                Inner("score").ScoreTopK(missing, vocabulary, k, padId, (example, ids, logits) =>
                {
                    cache.Add(Key(example, k), example.ResponseTokenCount, k, ids, logits);
                    done++;
                    tokens += example.TeacherView.TokenIds.Length;
                    if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(10) || done == missing.Count)
                    {
                        lastReport = clock.Elapsed;
                        double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
                        log($"teacher scores: {done}/{missing.Count} scored ({done / seconds:F1} examples/s, {tokens / seconds:F0} tokens/s, {clock.Elapsed.TotalSeconds:F0} s)");
                    }
                });
            }
        }
        catch (TeacherServerException e)
        {
            throw new TeacherServerException($"{e.Message} The {examples.Count - missing.Count + done} examples scored so far are kept in " +
                $"'{cache.Path}'; run again with the same TeacherCacheDirectory to continue from there.", e.StatusCode, e);
        }
        _ = fingerprint.Value; // keys still need it once the teacher is gone
        inner?.Dispose();      // training reads the cache; the teacher is no longer needed
        inner = null;
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
