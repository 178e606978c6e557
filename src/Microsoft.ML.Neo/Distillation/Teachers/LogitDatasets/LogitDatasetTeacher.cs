using System.Security.Cryptography;
using Microsoft.ML.Neo.Data;

namespace Microsoft.ML.Neo.Distillation.Teachers.LogitDatasets;

/// <summary>
/// A dataset of teacher logits as the teacher (<see cref="TeacherLogits"/>): an example's scores are those of the row
/// whose <c>input_ids</c> equal the tokens the teacher would read, at the positions that predict its response tokens.
/// The dataset is read front to back once per <see cref="ScoreTopK"/> call; a <see cref="CachedTeacher"/> in front asks
/// for every example at once before training and serves batches from its cache, so that is one pass per run.
/// </summary>
internal sealed class LogitDatasetTeacher : ITeacher
{
    private readonly string path;
    private readonly DistillKitCompression? compression;
    private readonly Lazy<string> fingerprint;
    private readonly Lazy<int> topK;

    public LogitDatasetTeacher(TeacherLogits logits)
    {
        path = logits.Path;
        compression = string.IsNullOrWhiteSpace(logits.DistillKitConfigPath) ? null : DistillKitCompression.Load(logits.DistillKitConfigPath);
        LogitDatasetReader.Files(path); // a missing dataset fails now, not at the first batch
        fingerprint = new Lazy<string>(() => Hash(LogitDatasetReader.Files(path)));
        topK = new Lazy<int>(ReadTopK);
    }

    /// <summary>SHA-256 over the dataset's files (names and contents) and the decoding configuration.</summary>
    public string Fingerprint => fingerprint.Value;

    /// <summary>A dataset has no context limit of its own: rows are as long as they were captured.</summary>
    public int ContextLength => int.MaxValue;

    public IReadOnlySet<int> StopTokenIds { get; } = new HashSet<int>();

    public string? CacheSummary => null;

    /// <summary>How many ids the dataset keeps per position: the first row's widest position (read once).</summary>
    public int TopK() => topK.Value;

    private int ReadTopK()
    {
        var row = LogitDatasetReader.Read(path, compression).FirstOrDefault()
            ?? throw new UnreadableFileException(path, "it holds no rows", LogitDatasetReader.Fix);
        return Enumerable.Range(0, row.PositionCount).Select(t => row.Position(t).Ids.Length).DefaultIfEmpty(0).Max();
    }

    public int[] Generate(int[] promptIds, int maxNewTokens, IReadOnlyCollection<int> stopIds) => throw new NotSupportedException(
        "A teacher-logit dataset cannot write responses: use it with Mode = Logits and OnPolicyFraction = 0 (the student's own samples have no rows in it).");

    public TeacherBatchScores Score(TokenBatch batch, int vocabulary) => TopKScoring.AsBatchScores(this, batch, vocabulary, TopK());

    public void ScoreTopK(IReadOnlyList<EncodedExample> examples, int vocabulary, int topK, int padId, Action<EncodedExample, int[], float[]> store)
    {
        // The examples by the tokens the teacher reads; a row serves every example with those tokens.
        var waiting = new Dictionary<string, List<EncodedExample>>(StringComparer.Ordinal);
        foreach (var example in examples)
        {
            string key = string.Join(',', example.TeacherView.TokenIds);
            if (!waiting.TryGetValue(key, out var list)) waiting[key] = list = new List<EncodedExample>();
            list.Add(example);
        }
        foreach (var row in LogitDatasetReader.Read(path, compression))
        {
            if (waiting.Count == 0) break;
            if (!waiting.Remove(string.Join(',', row.TokenIds), out var matches)) continue;
            foreach (var example in matches)
            {
                var (ids, logprobs) = Integrity.FileReading.Guard(path, LogitDatasetReader.Fix, () => Extract(row, example.TeacherView, vocabulary, topK));
                store(example, ids, logprobs);
            }
        }
        if (waiting.Count > 0)
        {
            var first = waiting.Values.First()[0].TeacherView;
            throw new InvalidDataException(
                $"The teacher-logit dataset '{path}' has no row for {waiting.Values.Sum(l => l.Count)} of the {examples.Count} examples " +
                $"(the first reads {first.TokenIds.Length} tokens: {string.Join(' ', first.TokenIds.Take(12))} ...). A row must hold exactly the tokens " +
                "the student's tokenizer and chat template make of the prompt and response (neo capture-logits writes such rows from a teacher).");
        }
    }

    // The top K ids and log-probabilities at the positions that predict the example's response tokens: row t predicts
    // token t + 1, so response tokens s .. n - 1 take positions s - 1 .. n - 2.
    private static (int[] Ids, float[] Logprobs) Extract(TeacherLogitRow row, EncodedExample example, int vocabulary, int topK)
    {
        int first = example.ResponseStart - 1, count = example.ResponseTokenCount;
        if (first < 0) throw new InvalidDataException($"{row.Source}: the response starts at the first token, which no position predicts");
        if (first + count > row.PositionCount)
            throw new InvalidDataException($"{row.Source} has {row.PositionCount} positions of scores; its response needs positions {first} to {first + count - 1}");
        var ids = new int[count * topK];
        var logprobs = new float[count * topK];
        for (int k = 0; k < count; k++)
        {
            var (positionIds, positionLogprobs) = row.Position(first + k);
            if (positionIds.Length != positionLogprobs.Length)
                throw new InvalidDataException($"{row.Source}, position {first + k}: {positionIds.Length} ids and {positionLogprobs.Length} log-probabilities");
            // Best first, each id once, entries without a score (−∞: padding) left out.
            var kept = positionIds.Zip(positionLogprobs).Where(e => !float.IsNegativeInfinity(e.Second))
                .OrderByDescending(e => e.Second).DistinctBy(e => e.First).Take(topK).ToList();
            if (kept.Count < topK)
                throw new InvalidDataException($"{row.Source}, position {first + k} (a response token's): {kept.Count} scored ids, the run keeps {topK}; " +
                    "set TeacherScoreTopK to at most what the dataset holds per position");
            foreach (var (id, value) in kept)
            {
                if (id < 0 || id >= vocabulary) throw new InvalidDataException($"{row.Source}, position {first + k}: id {id} is outside the student's vocabulary of {vocabulary}");
                if (float.IsNaN(value) || value > 1e-3f) throw new InvalidDataException($"{row.Source}, position {first + k}: {value} is not a log-probability");
            }
            for (int j = 0; j < topK; j++)
            {
                ids[k * topK + j] = kept[j].First;
                logprobs[k * topK + j] = kept[j].Second;
            }
        }
        return (ids, logprobs);
    }

    public void PrepareScores(IReadOnlyList<EncodedExample> examples, int vocabulary, int padId, Action<string> log) { }

    private string Hash(IReadOnlyList<string> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in files)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            using var stream = File.OpenRead(file);
            var buffer = new byte[1 << 20];
            for (int read; (read = stream.Read(buffer)) > 0;) sha.AppendData(buffer, 0, read);
        }
        if (compression is not null) sha.AppendData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(compression));
        return "logits:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public void Dispose() { }
}
