using System.Text;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Neo.Data.Synthetic;

/// <summary>The tokenizers of the quickstart's embedded models, made for the synthetic word problems.</summary>
public static class EmbeddedTask
{
    /// <summary>The SentencePiece tokenizer of the synthetic task: characters, byte fallback, and one piece per template word.</summary>
    public static TokenizerFiles CreateTokenizer() =>
        TokenizerFiles.FromBytes(SentencePieceModelBuilder.BuildForWords(
            ArithmeticWordProblems.Characters(), ArithmeticWordProblems.Vocabulary()), "embedded tokenizer");

    /// <summary>
    /// A tokenizer of another kind for the same task, for cross-tokenizer distillation: byte-level BPE in Llama 3's
    /// layout (the 256 bytes, then merges that build every template word with and without its leading space, then
    /// <c>&lt;|begin_of_text|&gt;</c> and <c>&lt;|end_of_text|&gt;</c>; Llama 3's split pattern, so numbers are split
    /// into digits). It spells every text the SentencePiece tokenizer does, token boundaries and ids aside.
    /// </summary>
    public static TokenizerFiles CreateByteLevelTokenizer()
    {
        var vocab = new JsonObject();
        var merges = new List<string>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        void Add(string token)
        {
            if (known.Add(token)) vocab[token] = known.Count - 1;
        }
        for (int b = 0; b < 256; b++) Add(ByteChar((byte)b).ToString());
        foreach (string word in ArithmeticWordProblems.Vocabulary().Where(w => !w.Any(char.IsDigit)))
            foreach (string spelled in new[] { Spell(" " + word), Spell(word) })
                for (int length = 2; length <= spelled.Length; length++)
                {
                    string merged = spelled[..length];
                    if (known.Contains(merged)) continue;
                    merges.Add($"{spelled[..(length - 1)]} {spelled[length - 1]}");
                    Add(merged);
                }
        string[] specials = { "<|begin_of_text|>", "<|end_of_text|>" };
        var added = new JsonArray();
        foreach (string special in specials)
        {
            added.Add(new JsonObject { ["id"] = known.Count, ["content"] = special, ["special"] = true, ["normalized"] = false });
            known.Add(special);
        }
        var json = new JsonObject
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
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = specials[0], ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["byte_fallback"] = false, ["ignore_merges"] = true,
                ["vocab"] = vocab, ["merges"] = new JsonArray(merges.Select(m => (JsonNode)m).ToArray()),
            },
        };
        string config = """{"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>", "add_bos_token": true}""";
        return TokenizerFiles.FromFiles(new Dictionary<string, byte[]>
        {
            ["tokenizer.json"] = Encoding.UTF8.GetBytes(json.ToJsonString()),
            ["tokenizer_config.json"] = Encoding.UTF8.GetBytes(config),
        }, "embedded byte-level tokenizer");
    }

    // Llama 3's pre-tokenizer pattern.
    private const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // GPT-2's byte-to-character spelling: printable bytes are themselves, the rest (space included) map above 255.
    private static string Spell(string text) => string.Concat(Encoding.UTF8.GetBytes(text).Select(ByteChar));

    private static char ByteChar(byte b)
    {
        int next = 256;
        for (int i = 0; i < 256; i++)
        {
            bool printable = i is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            if (i == b) return printable ? (char)i : (char)next;
            if (!printable) next++;
        }
        throw new InvalidOperationException("unreachable: every byte has a spelling");
    }
}
