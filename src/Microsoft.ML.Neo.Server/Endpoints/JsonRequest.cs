using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Microsoft.ML.Neo.Server.Endpoints;

/// <summary>Reads the fields of a JSON request body, refusing wrong types with a 400 that names the field.</summary>
internal sealed class JsonRequest(JsonElement root)
{
    public static async Task<(JsonRequest Request, JsonDocument Document)> ReadAsync(HttpRequest request, CancellationToken cancellation)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellation).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw RequestError.BadRequest($"The request body is not valid JSON: {e.Message}");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw RequestError.BadRequest("The request body must be a JSON object.");
        }
        return (new JsonRequest(document.RootElement), document);
    }

    public JsonElement? Get(string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public string? String(string name) => Get(name) is { } value
        ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw Wrong(name, "a string")
        : null;

    public bool Bool(string name, bool fallback) => Get(name) is { } value
        ? value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw Wrong(name, "true or false")
        : fallback;

    public int? Int(string name) => Get(name) is { } value
        ? value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) ? number : throw Wrong(name, "an integer")
        : null;

    public long? Long(string name) => Get(name) is { } value
        ? value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number : throw Wrong(name, "an integer")
        : null;

    public float? Float(string name) => Get(name) is { } value
        ? value.ValueKind == JsonValueKind.Number ? value.GetSingle() : throw Wrong(name, "a number")
        : null;

    /// <summary>A string or a list of strings (<c>stop</c>).</summary>
    public List<string> Strings(string name) => Get(name) switch
    {
        null => new List<string>(),
        { ValueKind: JsonValueKind.String } one => new List<string> { one.GetString()! },
        { ValueKind: JsonValueKind.Array } many when many.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
            many.EnumerateArray().Select(e => e.GetString()!).ToList(),
        _ => throw Wrong(name, "a string or a list of strings"),
    };

    private static RequestError Wrong(string name, string what) => RequestError.BadRequest($"'{name}' must be {what}.", name);
}
