using System.Text.Json;
using System.Text.Json.Serialization;
using Parquet;
using Parquet.Serialization;

namespace Microsoft.ML.Neo.Distillation.Teachers.LogitDatasets;

/// <summary>
/// Writes teacher-logit rows as Parquet in axolotl's or DistillKit's layout, a row group per call to
/// <see cref="Append"/>, so a capture that dies keeps the row groups already written. DistillKit's rows use an exact
/// configuration (K float32 log-probabilities), written beside the file as <c>.compression.json</c>.
/// </summary>
internal sealed class LogitDatasetWriter
{
    private readonly string path;
    private readonly TeacherLogitLayout layout;
    private readonly DistillKitCompression? compression;
    private bool started;

    public LogitDatasetWriter(string path, TeacherLogitLayout layout, int vocabulary, int topK)
    {
        this.path = path;
        this.layout = layout;
        if (layout == TeacherLogitLayout.DistillKit)
        {
            compression = DistillKitCompression.Exact(vocabulary, topK);
            File.WriteAllText(CompressionPath(path), JsonSerializer.Serialize(compression, new JsonSerializerOptions { WriteIndented = true }));
        }
        if (File.Exists(path)) File.Delete(path);
    }

    /// <summary>Where the DistillKit configuration of a dataset at <paramref name="datasetPath"/> is written.</summary>
    public static string CompressionPath(string datasetPath) => Path.ChangeExtension(datasetPath, ".compression.json");

    /// <summary>Appends rows: each is a token sequence and, per position t, the top ids and log-probabilities for token t + 1.</summary>
    public void Append(IReadOnlyList<(int[] TokenIds, int[][] Ids, float[][] Logprobs)> rows)
    {
        var options = new ParquetOptions { Append = started };
        if (layout == TeacherLogitLayout.Axolotl)
            ParquetSerializer.SerializeAsync(rows.Select(r => new AxolotlRow
            {
                InputIds = r.TokenIds.Select(i => (long)i).ToList(),
                TargetTokenIds = r.Ids.Select(p => p.Select(i => (long)i).ToList()).ToList(),
                TargetLogprobs = r.Logprobs.Select(p => p.ToList()).ToList(),
                TargetMask = r.Ids.Select(p => Enumerable.Repeat(1, p.Length).ToList()).ToList(),
            }), path, options).GetAwaiter().GetResult();
        else
            ParquetSerializer.SerializeAsync(rows.Select(r =>
            {
                var packed = r.Ids.Zip(r.Logprobs, (ids, values) => compression!.EncodeExact(ids, values)).ToList();
                return new DistillKitRow
                {
                    InputIds = r.TokenIds.Select(i => (ulong)i).ToList(),
                    CompressedLogprobs = packed.Select(p => p.Logprobs.ToList()).ToList(),
                    BytepackedIndices = packed.Select(p => p.Ids.ToList()).ToList(),
                };
            }), path, options).GetAwaiter().GetResult();
        started = true;
    }

    private sealed class AxolotlRow
    {
        [JsonPropertyName("input_ids")] public List<long> InputIds { get; set; } = new();
        [JsonPropertyName("target_token_ids")] public List<List<long>> TargetTokenIds { get; set; } = new();
        [JsonPropertyName("target_logprobs")] public List<List<float>> TargetLogprobs { get; set; } = new();
        [JsonPropertyName("target_mask")] public List<List<int>> TargetMask { get; set; } = new();
    }

    private sealed class DistillKitRow
    {
        [JsonPropertyName("input_ids")] public List<ulong> InputIds { get; set; } = new();
        [JsonPropertyName("compressed_logprobs")] public List<List<byte>> CompressedLogprobs { get; set; } = new();
        [JsonPropertyName("bytepacked_indices")] public List<List<byte>> BytepackedIndices { get; set; } = new();
    }
}
