using System.Text.Json;

namespace Neo.Cli.Commands;

/// <summary>Reads prompt/response pairs from a JSON-lines file: one object per line, blank lines skipped.</summary>
internal static class PromptResponseFile
{
    public static List<PromptResponseRow> Read(string path, string promptKey, string responseKey, bool responseRequired = true)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Data file '{path}' not found; pass a JSON-lines file with one object per line, " +
                                            $"like {{\"{promptKey}\": \"...\", \"{responseKey}\": \"...\"}}.", path);
        var rows = new List<PromptResponseRow>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: not a JSON object ({e.Message}).");
            }
            using (document)
            {
                string? Field(string key, bool required) =>
                    document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String
                        ? value.GetString()!
                        : required ? throw new InvalidDataException($"{path}:{lineNumber}: no string field '{key}' (set the key with --prompt-key / --response-key).") : null;
                rows.Add(new PromptResponseRow { Prompt = Field(promptKey, true)!, Response = Field(responseKey, responseRequired) ?? "" });
            }
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path} holds no rows.");
        return rows;
    }
}
