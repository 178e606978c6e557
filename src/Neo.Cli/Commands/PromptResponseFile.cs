using System.Text.Json;

namespace Neo.Cli.Commands;

/// <summary>Reads prompt/response pairs from a JSON-lines file: one object per line, blank lines skipped.</summary>
internal static class PromptResponseFile
{
    /// <param name="answerKey">A field every row must also have (the reference answer for priming); null for none.</param>
    /// <param name="teacherKey">A field every row must also have (the name of its teacher); null for none.</param>
    public static List<PromptResponseRow> Read(string path, string promptKey, string responseKey, bool responseRequired = true, string? answerKey = null,
        string? teacherKey = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Data file '{path}' not found; pass a JSON-lines file with one object per line, " +
                                            $"like {{\"{promptKey}\": \"...\", \"{responseKey}\": \"...\"}}.", path);
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
