using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Distillation.Teachers.LogitDatasets;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo;

/// <summary>Which published layout <see cref="TeacherLogitCapture"/> writes.</summary>
public enum TeacherLogitLayout
{
    /// <summary>axolotl's tokenized KD fields: <c>input_ids</c>, <c>target_token_ids</c>, <c>target_logprobs</c>, <c>target_mask</c>.</summary>
    Axolotl,

    /// <summary>DistillKit's compressed rows (<c>input_ids</c>, <c>compressed_logprobs</c>, <c>bytepacked_indices</c>) with an
    /// exact configuration (K float32 log-probabilities), written beside the file as <c>.compression.json</c>.</summary>
    DistillKit,
}

/// <summary>Options of <see cref="TeacherLogitCapture.Capture"/>.</summary>
public sealed class TeacherLogitCaptureOptions
{
    /// <summary>
    /// The teacher: a <see cref="TeacherModel"/> run in this process, or a <see cref="TeacherEndpoint"/> whose server
    /// returns <c>prompt_logprobs</c> (vLLM, NeoServer), as DistillKit captures with vLLM. Required.
    /// </summary>
    public NeoTeacher? Teacher { get; set; }

    /// <summary>The Parquet file to write (replaced if it exists). Required.</summary>
    public string OutputPath { get; set; } = "";

    /// <summary>Text column of the prompts. Default "Prompt".</summary>
    public string PromptColumnName { get; set; } = "Prompt";

    /// <summary>Text column of the responses. Default "Response".</summary>
    public string ResponseColumnName { get; set; } = "Response";

    /// <summary>
    /// A folder whose tokenizer (and chat format) turns rows into tokens: the student's, so that its run finds the rows
    /// (<see cref="TeacherLogits"/> matches rows by exact tokens). Null (default): the teacher's own.
    /// </summary>
    public string? TokenizerPath { get; set; }

    /// <summary>Ids and log-probabilities kept per position, 1 to 65536. Default 64.</summary>
    public int TopK { get; set; } = 64;

    /// <summary>The layout written. Default <see cref="TeacherLogitLayout.Axolotl"/>.</summary>
    public TeacherLogitLayout Layout { get; set; } = TeacherLogitLayout.Axolotl;

    /// <summary>The teacher's compute precision. Default <see cref="ComputePrecision.Auto"/>.</summary>
    public ComputePrecision Precision { get; set; } = ComputePrecision.Auto;

    /// <summary>Most tokens per row (prompt and response); 0 (default): the teacher's context. Longer rows are cut, as NeoDistill cuts them.</summary>
    public int MaxSequenceLength { get; set; }

    /// <summary>Rows scored per teacher pass, 1 to 1024. Default 8.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>Checks every setting (not the files): the capture calls it first, and a caller can, before reading its data.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range; the message names it.</exception>
    public void Validate()
    {
        switch (Teacher)
        {
            case TeacherModel model when !string.IsNullOrWhiteSpace(model.ModelPath):
                break;
            case TeacherEndpoint endpoint:
                endpoint.Validate();
                if (endpoint.TokenizerPath is null && TokenizerPath is null)
                    throw new ArgumentException("A served teacher's logits are captured in its tokens: set TeacherEndpoint.TokenizerPath or " +
                        "TeacherLogitCaptureOptions.TokenizerPath to a folder with its tokenizer files.", nameof(TokenizerPath));
                break;
            default:
                throw new ArgumentException("TeacherLogitCaptureOptions.Teacher must be a TeacherModel (a Hugging Face folder) or a TeacherEndpoint " +
                    $"(a server that returns prompt_logprobs); it is {Teacher?.Describe() ?? "not set"}.", nameof(Teacher));
        }
        if (string.IsNullOrWhiteSpace(OutputPath)) throw new ArgumentException("TeacherLogitCaptureOptions.OutputPath must name the Parquet file to write.", nameof(OutputPath));
        if (TopK is < 1 or > 65536) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TeacherLogitCaptureOptions.TopK must be between 1 and 65536.");
        if (!Enum.IsDefined(Layout)) throw new ArgumentOutOfRangeException(nameof(Layout), Layout, "TeacherLogitCaptureOptions.Layout must be Axolotl or DistillKit.");
        if (!Enum.IsDefined(Precision)) throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "TeacherLogitCaptureOptions.Precision must be Auto, Float32 or BFloat16.");
        if (MaxSequenceLength < 0) throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength), MaxSequenceLength, "TeacherLogitCaptureOptions.MaxSequenceLength must be 0 (the teacher's context) or positive.");
        if (BatchSize is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "TeacherLogitCaptureOptions.BatchSize must be between 1 and 1024.");
    }
}

/// <summary>What <see cref="TeacherLogitCapture.Capture"/> wrote.</summary>
/// <param name="Rows">Rows written.</param>
/// <param name="SkippedRows">Rows left out because the prompt alone fills the context.</param>
/// <param name="Positions">Positions scored (each row's tokens but the last).</param>
/// <param name="Bytes">Size of the Parquet file.</param>
public sealed record TeacherLogitCaptureResult(int Rows, int SkippedRows, long Positions, long Bytes);

/// <summary>
/// Runs a teacher over prompt/response rows and writes its top-K log-probabilities at every position as a
/// teacher-logit dataset (DistillKit's <c>sample-logits</c>, in .NET): a dataset that <see cref="TeacherLogits"/>
/// reads back, and that axolotl or DistillKit can train from. Rows are tokenized as NeoDistill tokenizes them.
/// </summary>
public static class TeacherLogitCapture
{
    public static TeacherLogitCaptureResult Capture(IDataView data, TeacherLogitCaptureOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        log ??= _ => { };
        var columns = new[]
        {
            TextColumns.Require(data.Schema, options.PromptColumnName, nameof(options.PromptColumnName), nameof(TeacherLogitCaptureOptions)),
            TextColumns.Require(data.Schema, options.ResponseColumnName, nameof(options.ResponseColumnName), nameof(TeacherLogitCaptureOptions)),
        };
        var rows = TextColumns.ReadAll(data, columns);
        var folder = options.Teacher is TeacherModel model ? model.OpenFolder() : null;
        string? tokenizerPath = options.TokenizerPath ?? (options.Teacher as TeacherEndpoint)?.TokenizerPath;
        var tokenizer = tokenizerPath is null ? folder!.RequireTokenizer("Capturing teacher logits needs a tokenizer")
            : PretrainedFolder.Open(tokenizerPath, "tokenizer").RequireTokenizer("TeacherLogitCaptureOptions.TokenizerPath needs a tokenizer");
        var device = DeviceSelection.Resolve("cpu");
        int vocabulary = folder?.Config.VocabSize ?? tokenizer.VocabularySize, topK = Math.Min(options.TopK, vocabulary);
        using ITeacher teacher = folder is not null
            ? LocalTeacher.Load(folder, device, PrecisionSupport.Resolve(options.Precision, device))
            : Distillation.Teachers.Served.ServedTeacher.Open((TeacherEndpoint)options.Teacher!, null, tokenizer, int.MaxValue, topK, log);
        int context = options.MaxSequenceLength > 0 ? Math.Min(options.MaxSequenceLength, teacher.ContextLength) : teacher.ContextLength;
        var encoder = new PromptResponseEncoder(tokenizer, context);
        int padId = tokenizer.PaddingId ?? tokenizer.EndOfSequenceId ?? 0;

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.OutputPath))!);
        var writer = new LogitDatasetWriter(options.OutputPath, options.Layout, vocabulary, topK);
        // Every position but the last is scored: an example whose "response" starts at token 1.
        var sequences = rows.Select(r => encoder.Encode(r[0], r[1])).OfType<EncodedExample>().Where(e => e.TokenIds.Length > 1)
            .Select(e => new EncodedExample(e.TokenIds, responseStart: 1)).ToList();
        int written = 0;
        long positions = 0;
        foreach (var chunk in sequences.Chunk(options.BatchSize))
        {
            var scored = folder is not null ? LocalLogprobs((LocalTeacher)teacher, chunk, vocabulary, topK, padId, device)
                : ServedLogprobs(teacher, chunk, vocabulary, topK, padId);
            NonFiniteLogitsException.ThrowIfAny(scored.SelectMany(r => r.Logprobs.SelectMany(p => p)).ToArray(), $"The teacher ({options.Teacher!.Describe()})");
            positions += scored.Sum(r => r.Ids.Length);
            writer.Append(scored);
            written += scored.Count;
            log($"teacher logits: {written}/{sequences.Count} rows written to {options.OutputPath}");
        }
        return new TeacherLogitCaptureResult(written, rows.Count - sequences.Count, positions, File.Exists(options.OutputPath) ? new FileInfo(options.OutputPath).Length : 0);
    }

    // A local teacher's log-softmax over its whole vocabulary, cut to the top K: the log-probabilities themselves.
    private static List<(int[] TokenIds, int[][] Ids, float[][] Logprobs)> LocalLogprobs(LocalTeacher teacher, EncodedExample[] chunk,
        int vocabulary, int topK, int padId, Device device)
    {
        using var scope = NewDisposeScope();
        var scores = teacher.Score(TokenBatch.Create(chunk, padId, device), vocabulary);
        var allIds = new List<int>();
        var allValues = new List<float>();
        for (long start = 0; start < scores.RowCount; start += 256)
        {
            using var rowScope = NewDisposeScope();
            var logits = scores.Rows(start, Math.Min(256, scores.RowCount - start)).Logits;                          // [m, V]
            var (values, ids) = nn.functional.log_softmax(logits.to(ScalarType.Float32), -1).topk(topK, dim: -1); // [m, K] each
            allIds.AddRange(ids.to(ScalarType.Int32).cpu().data<int>().ToArray());
            allValues.AddRange(values.cpu().data<float>().ToArray());
        }
        var scored = new List<(int[] TokenIds, int[][] Ids, float[][] Logprobs)>();
        int offset = 0;
        foreach (var example in chunk)
        {
            int count = example.ResponseTokenCount;
            scored.Add((example.TokenIds,
                Enumerable.Range(0, count).Select(p => allIds.GetRange((offset + p) * topK, topK).ToArray()).ToArray(),
                Enumerable.Range(0, count).Select(p => allValues.GetRange((offset + p) * topK, topK).ToArray()).ToArray()));
            offset += count;
        }
        return scored;
    }

    // A server's prompt_logprobs: already log-probabilities over its whole vocabulary, top K per position.
    private static List<(int[] TokenIds, int[][] Ids, float[][] Logprobs)> ServedLogprobs(ITeacher teacher, EncodedExample[] chunk,
        int vocabulary, int topK, int padId)
    {
        var byExample = new Dictionary<EncodedExample, (int[] Ids, float[] Logprobs)>(ReferenceEqualityComparer.Instance);
        teacher.ScoreTopK(chunk, vocabulary, topK, padId, (example, ids, logprobs) => byExample[example] = (ids, logprobs));
        return chunk.Select(example =>
        {
            var (ids, logprobs) = byExample[example];
            int count = example.ResponseTokenCount;
            return (example.TokenIds,
                Enumerable.Range(0, count).Select(p => ids[(p * topK)..((p + 1) * topK)]).ToArray(),
                Enumerable.Range(0, count).Select(p => logprobs[(p * topK)..((p + 1) * topK)]).ToArray());
        }).ToList();
    }
}
