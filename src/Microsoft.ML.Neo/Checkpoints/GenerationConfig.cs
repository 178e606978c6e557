using System.Text.Json.Nodes;

namespace Microsoft.ML.Neo;

/// <summary>
/// The token ids of a folder's <c>generation_config.json</c> that decoding needs. Llama 3 instruct models list several
/// end-of-sequence ids (end of text and end of turn); generation stops at any of them.
/// </summary>
public sealed record GenerationConfig(int? BosTokenId, IReadOnlyList<int> EosTokenIds, int? PadTokenId)
{
    public const string FileName = "generation_config.json";

    /// <summary>Reads the folder's generation_config.json, or returns null when it has none.</summary>
    public static GenerationConfig? TryLoad(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        string json = File.ReadAllText(path);
        return Integrity.FileReading.Guard(path, Integrity.FileReading.Fixes.ModelFolder, () => FromJson(json, path));
    }

    public static GenerationConfig FromJson(string json, string path)
    {
        var root = JsonNode.Parse(json) as JsonObject
            ?? throw new InvalidDataException($"'{path}' is not a JSON object.");
        var bos = Ids(root["bos_token_id"], path);
        var pad = Ids(root["pad_token_id"], path);
        return new GenerationConfig(bos.Count > 0 ? bos[0] : null, Ids(root["eos_token_id"], path), pad.Count > 0 ? pad[0] : null);
    }

    public string ToJson()
    {
        var root = new JsonObject();
        if (BosTokenId is int bos) root["bos_token_id"] = bos;
        if (EosTokenIds.Count == 1) root["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Count > 1) root["eos_token_id"] = new JsonArray(EosTokenIds.Select(id => (JsonNode)id).ToArray());
        if (PadTokenId is int pad) root["pad_token_id"] = pad;
        return root.ToJsonString();
    }

    /// <summary>An id or a list of ids; null gives none.</summary>
    internal static IReadOnlyList<int> Ids(JsonNode? node, string source) => node switch
    {
        null => Array.Empty<int>(),
        JsonArray array => array.Select(n => Id(n, source)).ToArray(),
        _ => new[] { Id(node, source) },
    };

    private static int Id(JsonNode? node, string source) =>
        node is JsonValue value && value.TryGetValue(out int id) && id >= 0 ? id
            : throw new InvalidDataException($"'{source}': {node?.ToJsonString() ?? "null"} is not a token id (a non-negative integer).");
}
