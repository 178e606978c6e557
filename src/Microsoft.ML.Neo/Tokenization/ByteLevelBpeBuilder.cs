using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo;

/// <summary>
/// Writes a byte-level BPE <c>tokenizer.json</c> (with its <c>tokenizer_config.json</c>) in Llama 3's layout: the 256
/// bytes in GPT-2's spelling, then the merges' results, then the special tokens; Llama 3's split pattern, and the first
/// special token put before every encoding. The byte-level twin of <see cref="SentencePieceModelBuilder"/>, for
/// vocabularies made for a task (the embedded task's second tokenizer, for cross-tokenizer distillation).
/// </summary>
internal static class ByteLevelBpeBuilder
{
    /// <summary>Llama 3's pre-tokenizer pattern: numbers split into groups of at most three digits.</summary>
    internal const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>
    /// Files of a tokenizer whose merges build every word without digits from left to right, with and without its
    /// leading space, so each listed word is one token. <paramref name="beginningOfText"/> is BOS (added to every
    /// encoding), <paramref name="endOfText"/> EOS.
    /// </summary>
    public static IReadOnlyDictionary<string, byte[]> BuildForWords(IEnumerable<string> words, string beginningOfText, string endOfText)
    {
        var merges = new List<string>();
        var made = new HashSet<string>(StringComparer.Ordinal);
        foreach (string word in words.Where(w => !w.Any(char.IsDigit)))
            foreach (string spelled in new[] { Spell(" " + word), Spell(word) })
                for (int length = 2; length <= spelled.Length; length++)
                    if (made.Add(spelled[..length])) merges.Add($"{spelled[..(length - 1)]} {spelled[length - 1]}");
        string config = new JsonObject { ["bos_token"] = beginningOfText, ["eos_token"] = endOfText, ["add_bos_token"] = true }.ToJsonString();
        return new Dictionary<string, byte[]>
        {
            ["tokenizer.json"] = Encoding.UTF8.GetBytes(Build(merges, new[] { beginningOfText, endOfText })),
            ["tokenizer_config.json"] = Encoding.UTF8.GetBytes(config),
        };
    }

    /// <summary>
    /// The <c>tokenizer.json</c> of the given merges ("left right", in GPT-2's byte spelling, highest priority first)
    /// and special tokens (the first one put before every encoding).
    /// </summary>
    public static string Build(IReadOnlyList<string> merges, IReadOnlyList<string> specialTokens)
    {
        var vocab = new JsonObject();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        void Add(string token)
        {
            if (ids.Add(token)) vocab[token] = ids.Count - 1;
        }
        for (int b = 0; b < 256; b++) Add(Spell(new[] { (byte)b }));
        foreach (string merge in merges) Add(merge.Replace(" ", ""));
        var added = new JsonArray();
        foreach (string special in specialTokens)
            added.Add(new JsonObject { ["id"] = ids.Count + added.Count, ["content"] = special, ["special"] = true, ["normalized"] = false });
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Llama3Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = false }),
            },
            ["post_processor"] = specialTokens.Count == 0 ? null : new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = specialTokens[0], ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["byte_fallback"] = false, ["ignore_merges"] = true,
                ["vocab"] = vocab, ["merges"] = new JsonArray(merges.Select(m => (JsonNode)m).ToArray()),
            },
        }.ToJsonString();
    }

    private static string Spell(string text) => Spell(Encoding.UTF8.GetBytes(text));

    private static string Spell(byte[] bytes) => ByteLevelAlphabet.Spell(bytes);
}
