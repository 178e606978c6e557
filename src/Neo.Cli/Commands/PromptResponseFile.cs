using System.Text.Json;
using Microsoft.ML.Neo.Data;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// Reads prompt/response pairs from a JSON-lines file: one object per line, blank lines skipped. A GSM8K file
/// (<c>{"question": ..., "answer": "... #### n"}</c>) read with the default keys is read as GSM8K: each question is asked
/// as the embedded models' prompt, <c>Question: ...\nAnswer:</c>, and the answer is the reference response.
/// </summary>
internal static class PromptResponseFile
{
    /// <param name="answerKey">A field every row must also have (the reference answer for priming); null for none.</param>
    /// <param name="teacherKey">A field every row must also have (the name of its teacher); null for none.</param>
    /// <param name="notice">Told how the file was read when that is not what the keys say (a GSM8K file); null to stay quiet.</param>
    public static List<PromptResponseRow> Read(string path, string promptKey, string responseKey, bool responseRequired = true, string? answerKey = null,
        string? teacherKey = null, Action<string>? notice = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Data file '{path}' not found; pass a JSON-lines file with one object per line, " +
                                            $"like {{\"{promptKey}\": \"...\", \"{responseKey}\": \"...\"}}.", path);
        if (promptKey == DefaultPromptKey && responseKey == DefaultResponseKey && teacherKey is null && IsGsm8k(path))
        {
            notice?.Invoke($"{Path.GetFileName(path)} is a GSM8K file (question, answer): each question is asked as \"Question: ...\\nAnswer:\", " +
                           "its answer is the reference response (pass --prompt-key and --response-key to read other fields as they are)");
            return Gsm8kLoader.Read(path).Select(problem => new PromptResponseRow
            {
                Prompt = problem.Prompt, Response = problem.Answer, Answer = answerKey is null ? "" : problem.FinalAnswer,
            }).ToList();
        }
        var rows = new List<PromptResponseRow>();
        int lineNumber = 0;
        string Example() => $"{{\"{promptKey}\": \"...\", \"{responseKey}\": \"...\"}}";
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (rows.Count == 0 && line.TrimStart().StartsWith('['))
                throw new InvalidDataException($"{path} is a JSON array, not JSON lines; write one object per line, like {Example()} " +
                                               "(jq -c '.[]' file.json > file.jsonl converts an array).");
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                long column = (e.BytePositionInLine ?? 0) + 1;
                string start = line.Length > 40 ? line[..40] + "..." : line;
                throw new InvalidDataException($"{path}:{lineNumber}: not JSON (unreadable at column {column}: \"{start}\"); " +
                                               $"each line must be one object, like {Example()}.");
            }
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{path}:{lineNumber}: a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object; each line must be one object, like {Example()}.");
                rows.Add(new PromptResponseRow
                {
                    Prompt = Field(root, promptKey, required: true, path, lineNumber)!,
                    Response = Field(root, responseKey, responseRequired, path, lineNumber) ?? "",
                    Answer = answerKey is null ? "" : Field(root, answerKey, required: true, path, lineNumber)!,
                    Teacher = teacherKey is null ? "" : Field(root, teacherKey, required: true, path, lineNumber)!,
                });
            }
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path} holds no rows.");
        return rows;
    }

    // The first line names 'question' and 'answer' and neither default key: GSM8K's own layout.
    private static bool IsGsm8k(string path)
    {
        string? first = File.ReadLines(path).FirstOrDefault(line => !string.IsNullOrWhiteSpace(line));
        if (first is null) return false;
        try
        {
            using var document = JsonDocument.Parse(first);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return false;
            var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            return names.Contains("question") && names.Contains("answer") && !names.Contains(DefaultPromptKey) && !names.Contains(DefaultResponseKey);
        }
        catch (JsonException)
        {
            return false; // the reader below names the line
        }
    }

    // The key as given, else the one field whose name differs only in case ("Prompt" for "prompt").
    private static string? Field(JsonElement row, string key, bool required, string path, int lineNumber)
    {
        var matches = row.EnumerateObject().Where(p => p.Name == key).ToList();
        if (matches.Count == 0) matches = row.EnumerateObject().Where(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count > 1)
            throw new InvalidDataException($"{path}:{lineNumber}: fields {string.Join(" and ", matches.Select(m => $"'{m.Name}'"))} both match '{key}'; keep one.");
        if (matches.Count == 0)
        {
            if (!required) return null;
            string seen = string.Join(", ", row.EnumerateObject().Select(p => $"'{p.Name}'"));
            throw new InvalidDataException($"{path}:{lineNumber}: no field '{key}' (the line has {(seen.Length == 0 ? "no fields" : seen)}); " +
                                           "name the keys with --prompt-key and --response-key.");
        }
        var value = matches[0].Value;
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"{path}:{lineNumber}: field '{matches[0].Name}' is a {value.ValueKind.ToString().ToLowerInvariant()}; it must be a string.");
    }
}
