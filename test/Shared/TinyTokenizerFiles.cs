using System.Text;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Neo.Tests;

/// <summary>
/// Tiny tokenizer files in each layout a Hugging Face folder can have, small enough that the expected ids in the tests
/// can be worked out by hand.
/// </summary>
internal static class TinyTokenizerFiles
{
    public const string Llama3Pattern = ByteLevelBpeBuilder.Llama3Pattern;

    /// <summary>GPT-2's byte-to-character spelling (space is 'Ġ').</summary>
    public static string ByteLevel(string text) => Microsoft.ML.Neo.Tokenization.ByteLevelAlphabet.Spell(Encoding.UTF8.GetBytes(text));

    private static char ByteChar(byte b) => Microsoft.ML.Neo.Tokenization.ByteLevelAlphabet.Spell(new[] { b })[0];

    /// <summary>
    /// A byte-level BPE tokenizer.json in Llama 3's style: ids 0-255 are the bytes in order, then the merges' results,
    /// then the added tokens. With <paramref name="nfc"/> it has Qwen2's NFC normalizer and no BOS template.
    /// </summary>
    /// <param name="gpt2Split">Split with the ByteLevel step's own GPT-2 regex (use_regex), as GPT-2 and SmolLM do,
    /// instead of a Split step with Llama 3's regex.</param>
    public static (string Json, IReadOnlyDictionary<string, int> Ids) ByteLevelJson(string[] merges, string[] addedTokens, bool nfc = false,
        bool digitsSplit = false, bool gpt2Split = false)
    {
        var vocab = new JsonObject();
        var ids = new Dictionary<string, int>();
        void Add(string token)
        {
            if (ids.ContainsKey(token)) return;
            ids[token] = ids.Count;
            vocab[token] = ids[token];
        }
        for (int b = 0; b < 256; b++) Add(ByteChar((byte)b).ToString());
        foreach (var merge in merges) Add(merge.Replace(" ", ""));
        var added = new JsonArray();
        foreach (var token in addedTokens)
        {
            ids[token] = ids.Count;
            added.Add(new JsonObject { ["id"] = ids[token], ["content"] = token, ["special"] = true, ["normalized"] = false });
        }

        var preTokenizers = new JsonArray();
        if (digitsSplit) preTokenizers.Add(new JsonObject { ["type"] = "Digits", ["individual_digits"] = true });
        if (!gpt2Split)
        {
            preTokenizers.Add(new JsonObject
            {
                ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Llama3Pattern }, ["behavior"] = "Isolated", ["invert"] = false,
            });
        }
        preTokenizers.Add(new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = gpt2Split });
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = nfc ? new JsonObject { ["type"] = "NFC" } : null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Sequence", ["pretokenizers"] = preTokenizers },
            ["post_processor"] = nfc || addedTokens.Length == 0 ? null : new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = addedTokens[0], ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["byte_fallback"] = false, ["ignore_merges"] = true,
                ["vocab"] = vocab, ["merges"] = new JsonArray(merges.Select(m => (JsonNode)m).ToArray()),
            },
        };
        return (root.ToJsonString(), ids);
    }

    /// <summary>
    /// A SentencePiece-style BPE tokenizer.json in TinyLlama's layout: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte pieces,
    /// then '▁' and the given characters, then the merges' results.
    /// </summary>
    public static (string Json, IReadOnlyDictionary<string, int> Ids) SentencePieceJson(string characters, string[] merges,
        bool metaspace = false)
    {
        var ids = new Dictionary<string, int> { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (int b = 0; b < 256; b++) ids[$"<0x{b:X2}>"] = ids.Count;
        foreach (var piece in new[] { "\u2581" }.Concat(characters.Select(c => c.ToString())).Concat(merges.Select(m => m.Replace(" ", ""))))
            ids.TryAdd(piece, ids.Count);
        var vocab = new JsonObject();
        foreach (var (piece, id) in ids) vocab[piece] = id;
        var added = new JsonArray(new[] { "<unk>", "<s>", "</s>" }.Select(t =>
            (JsonNode)new JsonObject { ["id"] = ids[t], ["content"] = t, ["special"] = true, ["normalized"] = false }).ToArray());
        var prependAndReplace = new JsonObject
        {
            ["type"] = "Sequence",
            ["normalizers"] = new JsonArray(
                new JsonObject { ["type"] = "Prepend", ["prepend"] = "\u2581" },
                new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "\u2581" }),
        };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = metaspace ? null : prependAndReplace,
            ["pre_tokenizer"] = metaspace
                ? new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "first", ["split"] = false }
                : null,
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = "<unk>", ["fuse_unk"] = true, ["byte_fallback"] = true,
                ["vocab"] = vocab, ["merges"] = new JsonArray(merges.Select(m => (JsonNode)m).ToArray()),
            },
        };
        return (root.ToJsonString(), ids);
    }

    /// <summary>
    /// A tiktoken-format tokenizer.model as Llama 3 ships: the 256 bytes at ranks 0-255, then the merged tokens. Llama
    /// 3's 256 special tokens follow the last rank.
    /// </summary>
    public static byte[] TiktokenModel(string[] mergedTokens)
    {
        var lines = new StringBuilder();
        int rank = 0;
        for (int b = 0; b < 256; b++) lines.Append($"{Convert.ToBase64String(new[] { (byte)b })} {rank++}\n");
        foreach (var token in mergedTokens) lines.Append($"{Convert.ToBase64String(Encoding.UTF8.GetBytes(token))} {rank++}\n");
        return Encoding.ASCII.GetBytes(lines.ToString());
    }

    public static void Write(string directory, string name, string text) => File.WriteAllText(Path.Combine(directory, name), text);
}
