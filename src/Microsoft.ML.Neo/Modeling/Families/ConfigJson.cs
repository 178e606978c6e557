using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>
/// Typed reads of <c>config.json</c> keys. A key of the wrong type is reported with its name and the value found,
/// never as the JSON library's own cast error.
/// </summary>
internal static class ConfigJson
{
    public static JsonObject ParseObject(string json)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"config.json: {Integrity.FileReading.Describe(e, "config.json")}", e);
        }
        return node as JsonObject ?? throw new InvalidDataException("config.json is not a JSON object.");
    }

    /// <summary>Whether the key is absent or JSON null.</summary>
    public static bool IsMissing(JsonObject root, string key) =>
        root[key] is null || root[key]!.GetValueKind() == JsonValueKind.Null;

    public static int Int(JsonObject root, string key, int? fallback = null)
    {
        if (IsMissing(root, key))
            return fallback ?? throw new InvalidDataException($"config.json: required key '{key}' is missing.");
        return As<int>(root[key]!, key, "an integer");
    }

    public static int? OptionalInt(JsonObject root, string key) => IsMissing(root, key) ? null : Int(root, key);

    public static double Double(JsonObject root, string key, double fallback) =>
        IsMissing(root, key) ? fallback : As<double>(root[key]!, key, "a number");

    public static double? OptionalDouble(JsonObject root, string key) =>
        IsMissing(root, key) ? null : As<double>(root[key]!, key, "a number");

    public static bool Bool(JsonObject root, string key, bool fallback) =>
        IsMissing(root, key) ? fallback : As<bool>(root[key]!, key, "true or false");

    public static string? String(JsonObject root, string key) =>
        IsMissing(root, key) ? null : As<string>(root[key]!, key, "a string");

    public static IReadOnlyList<T>? List<T>(JsonObject root, string key)
    {
        if (IsMissing(root, key)) return null;
        if (root[key] is not JsonArray array) throw new InvalidDataException($"config.json: '{key}' must be a list, found {root[key]!.ToJsonString()}.");
        return array.Select(item => item is null
            ? throw new InvalidDataException($"config.json: '{key}' has a null entry.")
            : As<T>(item, key, $"a list of {typeof(T).Name}")).ToArray();
    }

    /// <summary>Token ids: one number or a list (Llama 3 lists several end-of-sequence ids).</summary>
    public static IReadOnlyList<int> Ids(JsonObject root, string key)
    {
        try { return GenerationConfig.Ids(IsMissing(root, key) ? null : root[key], "config.json"); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"config.json: '{key}' must be a token id or a list of them, found {root[key]!.ToJsonString()}.", e);
        }
    }

    private static T As<T>(JsonNode node, string key, string expected)
    {
        try { return node.GetValue<T>(); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"config.json: '{key}' must be {expected}, found {node.ToJsonString()}.", e);
        }
    }

    /// <summary>Refuses a key whose value would change the model in a way this library does not implement.</summary>
    public static void RefuseIfSet(JsonObject root, string key, string why)
    {
        if (IsMissing(root, key)) return;
        if (root[key]!.GetValueKind() == JsonValueKind.False) return;
        throw new NotSupportedException($"config.json: '{key}' is {root[key]!.ToJsonString()}; {why}");
    }
}
