using System.Diagnostics;
using Microsoft.ML.Neo.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// A file-backed cache in front of another teacher: generations go to <see cref="TeacherGenerationCache"/>, scores to
/// <see cref="TeacherScoreCache"/> as the teacher's top-K logits per response position, so repeated runs and sweeps do
/// not ask the teacher again. Entries are keyed by the teacher's fingerprint and the exact tokens it read. Each cache
/// file is opened on first use. After <see cref="PrepareScores"/> the teacher behind it is released, and scores come
/// from the cache alone, unless it is kept for examples made during training.
/// </summary>
internal sealed class CachedTeacher : ITeacher
{
    private readonly string directory;
    private readonly int topK;
    private readonly Lazy<string> fingerprint;
    private readonly bool keepTeacher;
    private readonly int valueBits;
    private ITeacher? inner;
    private TeacherGenerationCache? generations;
    private TeacherScoreCache? scores;

    /// <param name="inner">The teacher asked on a miss; owned (disposed) by this cache.</param>
    /// <param name="topK">How many of the teacher's logits per position are kept (capped at the vocabulary).</param>
    /// <param name="keepTeacher">Keep the teacher behind the cache after <see cref="PrepareScores"/>, for examples made
    /// during training (on-policy samples), which it scores on demand and the cache then keeps too.</param>
    /// <param name="encoding">How a new score cache stores logits; an existing one keeps its own.</param>
    public CachedTeacher(ITeacher inner, string directory, int topK, bool keepTeacher = false, TeacherCacheEncoding encoding = TeacherCacheEncoding.Compact)
    {
        valueBits = encoding == TeacherCacheEncoding.Exact ? TopKCodec.ExactBits : TopKCodec.CompactBits;
        this.keepTeacher = keepTeacher;
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

    public int[][] Generate(IReadOnlyList<int[]> prompts, int maxNewTokens, IReadOnlyCollection<int> stopIds)
    {
        // The cached answers are read; the rest go to the teacher behind the cache together (one batch for a local one).
        generations ??= new TeacherGenerationCache(directory);
        var results = new int[prompts.Count][];
        var missing = new List<(int Index, string Key)>();
        for (int i = 0; i < prompts.Count; i++)
        {
            int maxNew = Math.Min(maxNewTokens, ContextLength - prompts[i].Length);
            if (maxNew <= 0) { results[i] = Array.Empty<int>(); continue; }
            string key = TeacherGenerationCache.Key(fingerprint.Value, prompts[i], maxNew, stopIds);
            if (generations.TryGet(key, out var cached)) results[i] = cached;
            else missing.Add((i, key));
        }
        if (missing.Count == 0) return results;
        var generated = Inner("generate").Generate(missing.Select(m => prompts[m.Index]).ToList(), maxNewTokens, stopIds);
        for (int k = 0; k < missing.Count; k++)
        {
            generations.Add(missing[k].Key, generated[k]);
            results[missing[k].Index] = generated[k];
        }
        return results;
    }

    public TeacherBatchScores Score(TokenBatch batch, int vocabulary) =>
        TopKScoring.AsBatchScores(this, batch, vocabulary, Math.Min(topK, vocabulary));

    /// <summary>Asks the teacher behind the cache for the examples it lacks, then reads every example from the cache, in order.</summary>
    public void ScoreTopK(IReadOnlyList<EncodedExample> examples, int vocabulary, int k, int padId, Action<EncodedExample, int[], float[]> store)
    {
        var keys = examples.Select(e => Key(e, k)).ToList();
        var missing = Missing(examples, keys);
        if (missing.Count > 0) ScoreInto(missing, vocabulary, k, padId, _ => { });
        for (int i = 0; i < examples.Count; i++)
        {
            var record = scores!.Read(keys[i]);
            store(examples[i], record.Ids, record.Logits);
        }
    }

    public void PrepareScores(IReadOnlyList<EncodedExample> examples, int vocabulary, int padId, Action<string> log)
    {
        int k = Math.Min(topK, vocabulary);
        var missing = Missing(examples, examples.Select(e => Key(e, k)).ToList());
        var cache = scores!;
        log($"teacher scores: {examples.Count - missing.Count}/{examples.Count} already in the cache at {cache.Path} ({cache.Encoding}); scoring {missing.Count} (top {k} per position).");
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        int done = 0;
        long tokens = 0;
        try
        {
            if (missing.Count > 0)
            {
                ScoreInto(missing, vocabulary, k, padId, example =>
                {
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
        if (keepTeacher) return;
        inner?.Dispose();      // training reads the cache; the teacher is no longer needed
        inner = null;
    }

    // The examples (one per key) the cache lacks, with their keys; opens the cache.
    private List<(EncodedExample Example, string Key)> Missing(IReadOnlyList<EncodedExample> examples, IReadOnlyList<string> keys)
    {
        var cache = OpenScores();
        return examples.Select((e, i) => (Example: e, Key: keys[i])).Where(e => !cache.Contains(e.Key)).DistinctBy(e => e.Key).ToList();
    }

    // Asks the teacher behind the cache for the missing examples; each is written to the cache, then reported, as it arrives.
    private void ScoreInto(List<(EncodedExample Example, string Key)> missing, int vocabulary, int k, int padId, Action<EncodedExample> stored)
    {
        var keyOf = new Dictionary<EncodedExample, string>(ReferenceEqualityComparer.Instance);
        foreach (var (example, key) in missing) keyOf[example] = key;
        Inner("score").ScoreTopK(missing.Select(m => m.Example).ToList(), vocabulary, k, padId, (example, ids, logits) =>
        {
            scores!.Add(keyOf[example], example.ResponseTokenCount, k, ids, logits);
            stored(example);
        });
    }

    private string Key(EncodedExample example, int k)
    {
        var view = example.TeacherView;
        return TeacherScoreCache.Key(fingerprint.Value, view.TokenIds, view.ResponseStart, k);
    }

    private TeacherScoreCache OpenScores() => scores ??= new TeacherScoreCache(directory, valueBits);

    private ITeacher Inner(string what) => inner ?? throw new InvalidOperationException(
        $"The teacher behind the cache at '{directory}' was released after its scores were precomputed; it cannot {what} examples the cache lacks.");

    public void Dispose()
    {
        generations?.Dispose();
        scores?.Dispose();
        inner?.Dispose();
    }
}
