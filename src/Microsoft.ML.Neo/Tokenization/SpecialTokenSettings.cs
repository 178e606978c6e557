using System.Text.Json.Nodes;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// The special tokens a folder names in <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>: BOS, EOS, pad
/// and unknown, and whether BOS/EOS are added to encoded text. tokenizer_config.json wins where both name a token, as
/// in transformers. A missing setting stays null and is filled from the tokenizer file itself.
/// </summary>
internal sealed record SpecialTokenSettings(string? Bos, string? Eos, string? Pad, string? Unk, bool? AddBos, bool? AddEos)
{
    public const string ConfigFile = "tokenizer_config.json";
    public const string MapFile = "special_tokens_map.json";

    public static readonly SpecialTokenSettings None = new(null, null, null, null, null, null);

    /// <param name="readFile">Runs the read of one named file (so its errors can name it).</param>
    public static SpecialTokenSettings Read(IReadOnlyDictionary<string, byte[]> files,
        Func<string, Func<SpecialTokenSettings>, SpecialTokenSettings> readFile)
    {
        var settings = None;
        if (files.TryGetValue(MapFile, out var map)) settings = settings.OverriddenBy(readFile(MapFile, () => Parse(map, MapFile)));
        if (files.TryGetValue(ConfigFile, out var config)) settings = settings.OverriddenBy(readFile(ConfigFile, () => Parse(config, ConfigFile)));
        return settings;
    }

    /// <summary>The added tokens tokenizer_config.json lists under <c>added_tokens_decoder</c> (id → text).</summary>
    public static IReadOnlyDictionary<string, int> AddedTokens(IReadOnlyDictionary<string, byte[]> files)
    {
        var tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!files.TryGetValue(ConfigFile, out var bytes)) return tokens;
        if (ParseObject(bytes, ConfigFile)["added_tokens_decoder"] is not JsonObject decoder) return tokens;
        foreach (var (key, value) in decoder)
        {
            if (!int.TryParse(key, out int id) || value?["content"]?.GetValue<string>() is not string content)
                throw new InvalidDataException($"'{ConfigFile}': added_tokens_decoder entry '{key}' needs an integer id and a \"content\" string.");
            tokens[content] = id;
        }
        return tokens;
    }

    private SpecialTokenSettings OverriddenBy(SpecialTokenSettings other) => new(
        other.Bos ?? Bos, other.Eos ?? Eos, other.Pad ?? Pad, other.Unk ?? Unk, other.AddBos ?? AddBos, other.AddEos ?? AddEos);

    private static SpecialTokenSettings Parse(byte[] bytes, string file)
    {
        var root = ParseObject(bytes, file);
        return new SpecialTokenSettings(
            Token(root, "bos_token", file), Token(root, "eos_token", file), Token(root, "pad_token", file), Token(root, "unk_token", file),
            Flag(root, "add_bos_token", file), Flag(root, "add_eos_token", file));
    }

    private static JsonObject ParseObject(byte[] bytes, string file)
    {
        try
        {
            return JsonNode.Parse(bytes) as JsonObject ?? throw new InvalidDataException($"'{file}' is not a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"'{file}': {Integrity.FileReading.Describe(e, file)}", e);
        }
    }

    // A token is written either as its text or as an AddedToken object {"content": "...", ...}.
    private static string? Token(JsonObject root, string key, string file) => root[key] switch
    {
        null => null,
        JsonValue value when value.TryGetValue(out string? text) => text,
        JsonObject token when token["content"] is JsonValue content && content.TryGetValue(out string? text) => text,
        var other => throw new InvalidDataException($"'{file}': \"{key}\" must be a string or an object with \"content\", not {other.ToJsonString()}."),
    };

    private static bool? Flag(JsonObject root, string key, string file) => root[key] switch
    {
        null => null,
        JsonValue value when value.TryGetValue(out bool flag) => flag,
        var other => throw new InvalidDataException($"'{file}': \"{key}\" must be true or false, not {other.ToJsonString()}."),
    };
}
