using System.Collections;
using System.Text.Json;
using Parquet;
using Parquet.Serialization;

namespace Microsoft.ML.Neo.Distillation.Teachers.LogitDatasets;

/// <summary>
/// Reads teacher-logit datasets, a file or a folder of them, a row at a time (Parquet: a row group at a time).
/// Layouts, told apart by their columns:
/// <list type="bullet">
/// <item>axolotl's tokenized KD fields: <c>input_ids</c>, <c>target_token_ids</c> and <c>target_logprobs</c> (lists
/// per position; <c>target_mask</c> and −∞ log-probabilities mark positions without scores);</item>
/// <item>DistillKit's uncompressed rows: <c>input_ids</c>, <c>token_ids</c> and <c>top_values</c> (log-probabilities);</item>
/// <item>DistillKit's compressed rows: <c>input_ids</c>, <c>compressed_logprobs</c> and <c>bytepacked_indices</c>,
/// decoded with the <see cref="DistillKitCompression"/> they were written with.</item>
/// </list>
/// Parquet files (<c>.parquet</c>) and JSON lines (<c>.jsonl</c>, <c>.json</c>) are read.
/// </summary>
internal static class LogitDatasetReader
{
    public const string Fix = "Give a teacher-logit dataset: Parquet or JSON lines with input_ids and either target_token_ids + target_logprobs (axolotl), " +
        "token_ids + top_values, or compressed_logprobs + bytepacked_indices with TeacherLogits.DistillKitConfigPath (DistillKit).";

    /// <summary>The dataset's files: the file itself, or a folder's .parquet and .jsonl files in name order.</summary>
    public static IReadOnlyList<string> Files(string path)
    {
        if (File.Exists(path)) return new[] { path };
        if (!Directory.Exists(path)) throw new FileNotFoundException($"The teacher-logit dataset '{path}' does not exist.", path);
        var files = Directory.EnumerateFiles(path).Where(f => Path.GetExtension(f) is ".parquet" or ".jsonl" or ".json").Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files : throw new FileNotFoundException($"The folder '{path}' holds no .parquet or .jsonl files of teacher logits.", path);
    }

    public static IEnumerable<TeacherLogitRow> Read(string path, DistillKitCompression? compression)
    {
        foreach (string file in Files(path))
        {
            var rows = Path.GetExtension(file) == ".parquet" ? ReadParquet(file, compression) : ReadJsonLines(file, compression);
            using var enumerator = rows.GetEnumerator();
            while (Integrity.FileReading.Guard(file, Fix, enumerator.MoveNext)) yield return enumerator.Current;
        }
    }

    private static IEnumerable<TeacherLogitRow> ReadParquet(string file, DistillKitCompression? compression)
    {
        using var stream = File.OpenRead(file);
        int groups = RowGroupCount(stream).GetAwaiter().GetResult();
        int index = 0;
        for (int group = 0; group < groups; group++)
        {
            stream.Position = 0;
            var result = ParquetSerializer.DeserializeUntypedAsync(stream, null, group).GetAwaiter().GetResult();
            foreach (var row in result.Data)
                yield return Row($"{Path.GetFileName(file)}, row {index++}", name => row.TryGetValue(name, out var value) ? value : null, row.Keys, compression);
        }
    }

    private static async Task<int> RowGroupCount(Stream stream)
    {
        await using var reader = await ParquetReader.CreateAsync(stream, leaveStreamOpen: true);
        return reader.RowGroupCount;
    }

    private static IEnumerable<TeacherLogitRow> ReadJsonLines(string file, DistillKitCompression? compression)
    {
        int line = 0;
        foreach (string text in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement.Clone();
            var names = root.EnumerateObject().Select(p => p.Name).ToList();
            yield return Row($"{Path.GetFileName(file)}, line {line}", name => root.TryGetProperty(name, out var value) ? value : null, names, compression);
        }
    }

    private static TeacherLogitRow Row(string source, Func<string, object?> column, IEnumerable<string> names, DistillKitCompression? compression)
    {
        int[] tokens = Longs(column("input_ids")).Select(id => checked((int)id)).ToArray();
        if (tokens.Length == 0) throw new InvalidDataException($"{source} has no input_ids");
        if (column("compressed_logprobs") is { } packedValues && column("bytepacked_indices") is { } packedIds)
        {
            if (compression is null)
                throw new InvalidDataException($"{source} holds DistillKit's compressed logprobs; set TeacherLogits.DistillKitConfigPath to the JSON form of the logprob_compressor configuration they were written with");
            var values = Lists(packedValues).Select(Bytes).ToList();
            var ids = Lists(packedIds).Select(Bytes).ToList();
            if (values.Count != ids.Count) throw new InvalidDataException($"{source} has {values.Count} positions of compressed_logprobs and {ids.Count} of bytepacked_indices");
            return new TeacherLogitRow(source, tokens, t => compression.Decode(values[t], ids[t]), values.Count);
        }
        var (idColumn, valueColumn) = column("target_token_ids") is not null ? ("target_token_ids", "target_logprobs") : ("token_ids", "top_values");
        if (column(idColumn) is not { } idLists || column(valueColumn) is not { } valueLists)
            throw new InvalidDataException($"{source} has the columns {string.Join(", ", names)}; none of the known teacher-logit layouts");
        var positionIds = Lists(idLists).Select(l => Longs(l).Select(id => checked((int)id)).ToArray()).ToList();
        var positionValues = Lists(valueLists).Select(l => Doubles(l).Select(v => (float)v).ToArray()).ToList();
        var mask = column("target_mask") is { } maskLists ? Lists(maskLists).Select(l => Longs(l).Any(m => m != 0)).ToList() : null;
        if (positionIds.Count != positionValues.Count)
            throw new InvalidDataException($"{source} has {positionIds.Count} positions of {idColumn} and {positionValues.Count} of {valueColumn}");
        return new TeacherLogitRow(source, tokens, t => mask is not null && t < mask.Count && !mask[t] ? (Array.Empty<int>(), Array.Empty<float>()) : (positionIds[t], positionValues[t]), positionIds.Count);
    }

    private static IEnumerable<object?> Lists(object? value) => value switch
    {
        JsonElement { ValueKind: JsonValueKind.Array } array => array.EnumerateArray().Select(e => (object?)e),
        IEnumerable list and not string => list.Cast<object?>(),
        _ => throw new InvalidDataException("a column expected to hold lists holds something else"),
    };

    private static IEnumerable<long> Longs(object? value) => Lists(value).Select(v => v switch
    {
        JsonElement e => e.GetInt64(),
        null => throw new InvalidDataException("a list of ids holds a null"),
        IConvertible c => Convert.ToInt64(c, System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new InvalidDataException($"a list of ids holds a {v.GetType().Name}"),
    });

    private static IEnumerable<double> Doubles(object? value) => Lists(value).Select(v => v switch
    {
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
        JsonElement { ValueKind: JsonValueKind.String } e when e.GetString() is "-Infinity" or "-inf" => double.NegativeInfinity,
        JsonElement { ValueKind: JsonValueKind.Null } => double.NegativeInfinity, // Python's json writes -inf as -Infinity; some writers leave null
        null => double.NegativeInfinity,
        IConvertible c => Convert.ToDouble(c, System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new InvalidDataException($"a list of log-probabilities holds a {v.GetType().Name}"),
    });

    private static byte[] Bytes(object? value) => value switch
    {
        byte[] bytes => bytes,
        _ => Longs(value).Select(b => checked((byte)b)).ToArray(),
    };
}
