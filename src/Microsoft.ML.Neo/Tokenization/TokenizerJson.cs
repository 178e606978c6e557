using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>What a tokenizer file gives besides the Microsoft.ML.Tokenizers tokenizer itself.</summary>
internal sealed record LoadedTokenizer(
    Tokenizer Tokenizer,
    TokenizerKind Kind,
    IReadOnlyDictionary<string, int> Vocabulary,
    IReadOnlyDictionary<string, int> AddedTokens,
    string? TemplateBos,
    string? UnknownToken,
    string? DefaultEos = null);

/// <summary>
/// Builds a tokenizer from a Hugging Face <c>tokenizer.json</c> whose model is BPE, in its two common styles:
/// byte-level (GPT-2, Llama 3, Qwen2, SmolLM) through Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>, and
/// SentencePiece-style with byte fallback (TinyLlama, Llama 2, Mistral), converted to the SentencePiece model it was
/// made from and read by <see cref="LlamaTokenizer"/>. Anything else fails naming the key that is not supported.
/// </summary>
internal static class TokenizerJson
{
    public const string FileName = "tokenizer.json";

    // GPT-2's split, used by a ByteLevel pre-tokenizer with use_regex = true.
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static LoadedTokenizer Load(byte[] bytes)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(bytes) as JsonObject ?? throw new InvalidDataException($"'{FileName}' is not a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"'{FileName}': {Integrity.FileReading.Describe(e, FileName)}", e);
        }

        var model = root["model"] as JsonObject ?? throw Unsupported("model", "missing");
        string type = model["type"]?.GetValue<string>() ?? "BPE"; // older files leave the BPE type out
        if (type != "BPE")
            throw Unsupported("model.type", $"'{type}'; supported: BPE (byte-level, or SentencePiece-style with byte fallback)");
        if (model["dropout"] is JsonValue dropout && dropout.GetValue<double>() is > 0)
            throw Unsupported("model.dropout", "BPE dropout changes encodings at random");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (model[affix] is JsonValue value && value.GetValue<string>().Length > 0)
                throw Unsupported($"model.{affix}", $"'{value}'");
        }

        var vocabulary = (model["vocab"] as JsonObject ?? throw Unsupported("model.vocab", "missing"))
            .ToDictionary(p => p.Key, p => Value<int>(p.Value, $"model.vocab.{p.Key}"), StringComparer.Ordinal);
        var merges = ReadMerges(model["merges"] as JsonArray ?? throw Unsupported("model.merges", "missing"));
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in root["added_tokens"] as JsonArray ?? new JsonArray())
            added[Value<string>(token?["content"], "added_tokens[].content")] = Value<int>(token?["id"], "added_tokens[].id");
        string? unknown = model["unk_token"] is JsonValue unk ? unk.GetValue<string>() : null;
        string? templateBos = TemplateBos(root["post_processor"]);

        bool byteLevel = HasType(root["pre_tokenizer"], "ByteLevel") || HasType(root["decoder"], "ByteLevel");
        bool byteFallback = model["byte_fallback"] is JsonValue fallback && fallback.GetValue<bool>();
        bool metaspace = HasType(root["pre_tokenizer"], "Metaspace") || HasType(root["normalizer"], "Prepend");
        if (byteLevel)
            return new LoadedTokenizer(ByteLevel(root, vocabulary, merges, added, unknown), TokenizerKind.ByteLevelBpe,
                vocabulary, added, templateBos, unknown);
        if (byteFallback || metaspace)
            return new LoadedTokenizer(SentencePieceStyle(root, vocabulary, merges, added, unknown),
                TokenizerKind.SentencePieceBpe, vocabulary, added, templateBos, unknown);
        throw Unsupported("pre_tokenizer", "neither ByteLevel nor Metaspace (with byte_fallback); only those two BPE styles are supported");
    }

    private static Tokenizer ByteLevel(JsonObject root, Dictionary<string, int> vocabulary, List<(string, string)> merges,
        Dictionary<string, int> added, string? unknown)
    {
        Normalizer? normalizer = root["normalizer"] switch
        {
            null => null,
            JsonObject n when Type(n) == "NFC" => new NfcNormalizer(),
            var n => throw Unsupported("normalizer", $"'{Type(n)}' with a byte-level model (supported: none, NFC)"),
        };
        var steps = new List<Regex>();
        AddSplitSteps(root["pre_tokenizer"], steps);

        var options = new BpeOptions(vocabulary.Where(p => !added.ContainsKey(p.Key) || added[p.Key] == p.Value))
        {
            Merges = merges.Select(m => $"{m.Item1} {m.Item2}"),
            SpecialTokens = added,
            PreTokenizer = new IsolatedSplitPreTokenizer(steps, added.Keys),
            Normalizer = normalizer,
            ByteLevel = true,
            UnknownToken = unknown,
        };
        return BpeTokenizer.Create(options);
    }

    // Walks the pre-tokenizer (a Sequence or a single step) and turns each splitting step into a regex.
    private static void AddSplitSteps(JsonNode? node, List<Regex> steps)
    {
        if (node is null) return;
        var step = node as JsonObject ?? throw Unsupported("pre_tokenizer", node.ToJsonString());
        switch (Type(step))
        {
            case "Sequence":
                foreach (var inner in step["pretokenizers"] as JsonArray ?? new JsonArray()) AddSplitSteps(inner, steps);
                break;
            case "Split":
                if (step["behavior"]?.GetValue<string>() != "Isolated" || step["invert"]?.GetValue<bool>() == true)
                    throw Unsupported("pre_tokenizer.Split.behavior", $"'{step["behavior"]}' (invert {step["invert"]}); supported: Isolated");
                var pattern = step["pattern"] as JsonObject ?? throw Unsupported("pre_tokenizer.Split.pattern", "missing");
                string regex = pattern["Regex"]?.GetValue<string>() ?? Regex.Escape(Value<string>(pattern["String"], "pre_tokenizer.Split.pattern.String"));
                steps.Add(new Regex(regex, RegexOptions.CultureInvariant));
                break;
            case "Digits":
                steps.Add(new Regex(step["individual_digits"]?.GetValue<bool>() == true ? @"\p{N}" : @"\p{N}+", RegexOptions.CultureInvariant));
                break;
            case "ByteLevel":
                if (step["add_prefix_space"]?.GetValue<bool>() == true)
                    throw Unsupported("pre_tokenizer.ByteLevel.add_prefix_space", "true (supported: false)");
                if (step["use_regex"]?.GetValue<bool>() ?? true) steps.Add(new Regex(Gpt2Pattern, RegexOptions.CultureInvariant));
                break;
            default:
                throw Unsupported("pre_tokenizer", $"'{Type(step)}' (supported: Sequence, Split, Digits, ByteLevel)");
        }
    }

    private static Tokenizer SentencePieceStyle(JsonObject root, Dictionary<string, int> vocabulary, List<(string, string)> merges,
        Dictionary<string, int> added, string? unknown)
    {
        CheckSentencePieceNormalizer(root["normalizer"]);
        if (root["pre_tokenizer"] is JsonObject pre && Type(pre) != "Metaspace" && !IsSplitOnReplacedSpace(root))
            throw Unsupported("pre_tokenizer", $"'{Type(pre)}' with a SentencePiece-style model (supported: none, Metaspace, Split on ' ' after a Replace of ' ')");

        int size = Math.Max(vocabulary.Values.DefaultIfEmpty(-1).Max(), added.Values.DefaultIfEmpty(-1).Max()) + 1;
        var byId = new string?[size];
        foreach (var (text, id) in vocabulary) byId[id] = text;
        foreach (var (text, id) in added) byId[id] ??= text;
        int missing = Array.IndexOf(byId, null);
        if (missing >= 0) throw Unsupported("model.vocab", $"missing id {missing} (ids must run from 0 to {size - 1} without gaps)");
        int? unknownId = unknown is not null && vocabulary.TryGetValue(unknown, out int u) ? u : null;
        bool byteFallback = root["model"]?["byte_fallback"] is JsonValue fallback && fallback.GetValue<bool>();
        return SentencePieceBpeTokenizer.FromMerges(byId!, merges, added, unknownId, byteFallback,
            new SentencePieceNormalizer(rules: null, PrefixScheme(root), removeExtraWhitespaces: false));
    }

    // Gemma's files split on " " after a normalizer that has replaced every " " by "▁": the split never matches, so
    // the whole text is one piece, as with no pre-tokenizer.
    private static bool IsSplitOnReplacedSpace(JsonObject root) =>
        root["pre_tokenizer"] is JsonObject pre && Type(pre) == "Split" && pre["pattern"]?["String"]?.GetValue<string>() == " "
        && NormalizerSteps(root["normalizer"]).Any(step => Type(step) == "Replace");

    private static List<JsonNode> NormalizerSteps(JsonNode? normalizer) => normalizer is null ? new List<JsonNode>()
        : Type(normalizer) == "Sequence" ? (normalizer["normalizers"] as JsonArray ?? throw Unsupported("normalizer.normalizers", "missing")).Select(n => n ?? throw Unsupported("normalizer.normalizers", "a null entry")).ToList() : new List<JsonNode> { normalizer };

    private static SentencePieceNormalizer.PrefixScheme PrefixScheme(JsonObject root)
    {
        if (IsSplitOnReplacedSpace(root))
        {
            // No Metaspace: a "▁" is prefixed only by a Prepend normalizer (Gemma has none).
            return NormalizerSteps(root["normalizer"]).Any(step => Type(step) == "Prepend")
                ? SentencePieceNormalizer.PrefixScheme.Always : SentencePieceNormalizer.PrefixScheme.Never;
        }
        if (root["pre_tokenizer"] is not JsonObject metaspace)
            return SentencePieceNormalizer.PrefixScheme.Always; // the Prepend normalizer, applied to each run of text
        if (metaspace["split"]?.GetValue<bool>() == true)
            throw Unsupported("pre_tokenizer.Metaspace.split", "true (supported: false, as the Llama converter writes)");
        string scheme = metaspace["prepend_scheme"]?.GetValue<string>()
            ?? (metaspace["add_prefix_space"]?.GetValue<bool>() == false ? "never" : "always");
        return scheme switch
        {
            "always" => SentencePieceNormalizer.PrefixScheme.Always,
            "first" => SentencePieceNormalizer.PrefixScheme.First,
            "never" => SentencePieceNormalizer.PrefixScheme.Never,
            _ => throw Unsupported("pre_tokenizer.Metaspace.prepend_scheme", $"'{scheme}' (supported: always, first, never)"),
        };
    }

    // The Llama converter's two spellings of "prefix a ▁ and turn spaces into ▁": normalizers Prepend + Replace (older
    // files), or no normalizer and a Metaspace pre-tokenizer (newer ones).
    private static void CheckSentencePieceNormalizer(JsonNode? normalizer)
    {
        foreach (var step in NormalizerSteps(normalizer))
        {
            string type = Type(step);
            bool ok = type switch
            {
                "Prepend" => step["prepend"]?.GetValue<string>() == "\u2581",
                "Replace" => step["pattern"]?["String"]?.GetValue<string>() == " " && step["content"]?.GetValue<string>() == "\u2581",
                _ => false,
            };
            if (!ok) throw Unsupported("normalizer", $"'{type}' with a SentencePiece-style model (supported: Prepend '\u2581', Replace ' ' by '\u2581')");
        }
    }

    // Merges are "left right" strings in older files and [left, right] pairs in newer ones.
    private static List<(string, string)> ReadMerges(JsonArray merges)
    {
        var result = new List<(string, string)>(merges.Count);
        foreach (var merge in merges)
        {
            if (merge is JsonArray pair && pair.Count == 2)
            {
                result.Add((Value<string>(pair[0], "model.merges"), Value<string>(pair[1], "model.merges")));
                continue;
            }
            string text = Value<string>(merge, "model.merges");
            int space = text.IndexOf(' ', 1); // a merge of a lone space piece starts with the space itself
            if (space < 0) throw Unsupported("model.merges", $"entry '{text}' is not two tokens separated by a space");
            result.Add((text[..space], text[(space + 1)..]));
        }
        return result;
    }

    // The special token TemplateProcessing puts before a single sequence, if any (Llama 2's <s>, Llama 3's <|begin_of_text|>).
    private static string? TemplateBos(JsonNode? node)
    {
        if (node is not JsonObject processor) return null;
        if (Type(processor) == "Sequence")
            return (processor["processors"] as JsonArray ?? new JsonArray()).Select(TemplateBos).FirstOrDefault(t => t is not null);
        if (Type(processor) != "TemplateProcessing") return null;
        var first = (processor["single"] as JsonArray)?.FirstOrDefault();
        return first?["SpecialToken"]?["id"]?.GetValue<string>();
    }

    private static bool HasType(JsonNode? node, string type) => node switch
    {
        JsonObject o when Type(o) == type => true,
        JsonObject o => o.Select(p => p.Value).OfType<JsonArray>().SelectMany(a => a).Any(n => HasType(n, type)),
        _ => false,
    };

    // A required value of the expected JSON kind, or an error that names the key and what was found.
    private static T Value<T>(JsonNode? node, string key) =>
        node is JsonValue value && value.TryGetValue(out T? result) && result is not null ? result
            : throw new InvalidDataException($"'{key}' must be {(typeof(T) == typeof(string) ? "a string" : "an integer")}, not {node?.ToJsonString() ?? "null"}");

    private static string Type(JsonNode node) => node["type"]?.GetValue<string>() ?? "(no type)";

    private static InvalidDataException Unsupported(string key, string what) =>
        new($"'{FileName}': {key} is {what}.");
}
