using System.Text;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Tests.Tokenization;

/// <summary>
/// Each tokenizer layout on tiny files whose ids are worked out by hand in the comments. Agreement with Hugging Face's
/// own tokenizers on the real Llama 2, Llama 3 and Qwen3 vocabularies is checked by ./build.sh crosscheck-tokenizers.
/// </summary>
[TestClass]
public sealed class TokenizerFilesTests
{
    private static readonly string[] Llama3Specials = { "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>" };

    private static TokenizerFiles Load(params (string Name, string Text)[] files) =>
        TokenizerFiles.FromFiles(files.ToDictionary(f => f.Name, f => Encoding.UTF8.GetBytes(f.Text)), "test files");

    private static TokenizerFiles ByteLevelLlama3(params (string Name, string Text)[] extra)
    {
        // ids: bytes 0-255, "Ġt" 256, "he" 257, "the" 258, "Ġthe" 259, "ĠĠ" 260, then the specials 261-263.
        var (json, _) = TinyTokenizerFiles.ByteLevelJson(new[] { "Ġ t", "h e", "t he", "Ġt he", "Ġ Ġ" }, Llama3Specials);
        return Load(extra.Prepend(("tokenizer.json", json)).ToArray());
    }

    [TestMethod]
    public void ByteLevelJsonSplitsWithTheRegexThenMergesByRank()
    {
        var tokenizer = ByteLevelLlama3();
        Assert.AreEqual(TokenizerKind.ByteLevelBpe, tokenizer.Kind);
        // "the" → t h e → t he → the; " theme" → Ġt h e m e → Ġt he m e → Ġthe m e.
        CollectionAssert.AreEqual(new[] { 258, 259, 'm', 'e' }, tokenizer.Encode("the theme", addBeginningOfSequence: false));
        // The template's special token is BOS and is added.
        Assert.IsTrue(tokenizer.AddsBeginningOfSequence);
        CollectionAssert.AreEqual(new[] { 261, 258 }, tokenizer.Encode("the"));
        // "a  the": the regex leaves the first space alone (\s+(?!\S)), so the "ĠĠ" merge never applies.
        CollectionAssert.AreEqual(new[] { 'a', 32, 259 }, tokenizer.Encode("a  the", addBeginningOfSequence: false));
        // Special tokens written in the text become their ids.
        CollectionAssert.AreEqual(new[] { 263, 258 }, tokenizer.Encode("<|eot_id|>the", addBeginningOfSequence: false));
        Assert.AreEqual("the theme", tokenizer.Decode(new[] { 258, 259, 'm', 'e' }));
        Assert.AreEqual(264, tokenizer.VocabularySize);
    }

    [TestMethod]
    public void ByteLevelJsonWithNfcComposesAccentsAndAddsNoBos()
    {
        var (json, _) = TinyTokenizerFiles.ByteLevelJson(new[] { "h e" }, new[] { "<|endoftext|>", "<|im_start|>", "<|im_end|>" }, nfc: true);
        var tokenizer = Load(("tokenizer.json", json), ("tokenizer_config.json", """{"bos_token": null, "eos_token": "<|endoftext|>", "add_bos_token": false}"""));
        // "e" + combining acute composes to "é" (C3 A9) before the bytes are taken.
        CollectionAssert.AreEqual(new[] { 0xC3, 0xA9 }, tokenizer.Encode("e\u0301"));
        Assert.IsFalse(tokenizer.AddsBeginningOfSequence);
        Assert.IsNull(tokenizer.BeginningOfSequenceId);
        Assert.AreEqual(257, tokenizer.EndOfSequenceId);
    }

    [TestMethod]
    public void DigitsPreTokenizerSplitsEachDigitBeforeTheRegex()
    {
        // SmolLM's Digits(individual_digits) step: "a  5" → "a  ", "5" → "a", "  ", "5" (the regex sees "  " as a whole piece).
        var (json, ids) = TinyTokenizerFiles.ByteLevelJson(new[] { "Ġ Ġ" }, Array.Empty<string>(), digitsSplit: true);
        var tokenizer = Load(("tokenizer.json", json));
        CollectionAssert.AreEqual(new[] { 'a', ids["ĠĠ"], '5' }, tokenizer.Encode("a  5"));
    }

    [TestMethod]
    public void Gpt2RegexKeepsDigitRunsAndSpacesBeforeThemTogether()
    {
        // GPT-2's " ?\p{N}+" takes " 2024" whole, where Llama 3's "\p{N}{1,3}" would give " ", "202", "4".
        var (json, ids) = TinyTokenizerFiles.ByteLevelJson(new[] { "Ġ 2", "0 2", "Ġ2 02", "Ġ202 4" }, Array.Empty<string>(), gpt2Split: true);
        var tokenizer = Load(("tokenizer.json", json));
        CollectionAssert.AreEqual(new[] { 'y', ids["Ġ2024"] }, tokenizer.Encode("y 2024"));
    }

    private static (TokenizerFiles Tokenizer, IReadOnlyDictionary<string, int> Ids) TinyLlama(bool metaspace = false)
    {
        var (json, ids) = TinyTokenizerFiles.SentencePieceJson("athe", new[] { "a a", "\u2581 t", "h e", "\u2581t he" }, metaspace);
        return (Load(("tokenizer.json", json)), ids);
    }

    [TestMethod]
    public void SentencePieceJsonMergesLeftmostFirstAmongEqualPairs()
    {
        var (tokenizer, ids) = TinyLlama();
        Assert.AreEqual(TokenizerKind.SentencePieceBpe, tokenizer.Kind);
        // "▁aaa": the two "a a" pairs rank the same; the left one merges first → ▁ aa a (as sentencepiece and HF do).
        CollectionAssert.AreEqual(new[] { ids["\u2581"], ids["aa"], ids["a"] }, tokenizer.Encode("aaa", addBeginningOfSequence: false));
        // "▁the" → ▁t h e → ▁t he → ▁the, after BOS from the template.
        CollectionAssert.AreEqual(new[] { 1, ids["\u2581the"] }, tokenizer.Encode("the"));
        Assert.AreEqual("the aaa", tokenizer.Decode(tokenizer.Encode("the aaa", addBeginningOfSequence: false)));
    }

    [TestMethod]
    public void SentencePieceJsonFallsBackToBytesForUnknownCharacters()
    {
        var (tokenizer, ids) = TinyLlama();
        // "€" is not a piece: its UTF-8 bytes E2 82 AC become <0xE2> <0x82> <0xAC> (ids 3 + byte).
        CollectionAssert.AreEqual(new[] { ids["\u2581"], ids["a"], 3 + 0xE2, 3 + 0x82, 3 + 0xAC }, tokenizer.Encode("a€", addBeginningOfSequence: false));
        Assert.AreEqual("a€", tokenizer.Decode(tokenizer.Encode("a€", addBeginningOfSequence: false)));
    }

    [TestMethod]
    public void PrependNormalizerMarksEveryRunButMetaspaceFirstOnlyTheStart()
    {
        var (always, ids) = TinyLlama();
        CollectionAssert.AreEqual(new[] { 1, ids["\u2581the"] }, always.Encode("<s>the", addBeginningOfSequence: false));
        var (first, _) = TinyLlama(metaspace: true);
        // After a special token no '▁' is prepended: t h e → t he (there is no "t he" merge).
        CollectionAssert.AreEqual(new[] { 1, ids["t"], ids["he"] }, first.Encode("<s>the", addBeginningOfSequence: false));
    }

    [TestMethod]
    public void GemmaLayoutReplacesSpacesWithoutAPrefixAndItsSplitNeverMatches()
    {
        // Gemma 3's tokenizer.json: a Replace normalizer alone (no Prepend) and a Split on " " (MergedWithPrevious) that
        // runs after the normalizer, so it finds no space. The real file agrees on 392 texts (docs/tokenizers.md).
        var (json, ids) = TinyTokenizerFiles.SentencePieceJson("athe", new[] { "a a", "\u2581 t", "h e", "\u2581t he" });
        var root = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        root["normalizer"] = new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "Replace", ["pattern"] = new System.Text.Json.Nodes.JsonObject { ["String"] = " " }, ["content"] = "\u2581",
        };
        root["pre_tokenizer"] = new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "Split", ["pattern"] = new System.Text.Json.Nodes.JsonObject { ["String"] = " " }, ["behavior"] = "MergedWithPrevious", ["invert"] = false,
        };
        var gemma = Load(("tokenizer.json", root.ToJsonString()));
        // No "▁" before the first word; the space before "the" becomes one and merges across the would-be split.
        CollectionAssert.AreEqual(new[] { ids["t"], ids["he"], ids["\u2581the"] }, gemma.Encode("the the", addBeginningOfSequence: false));
        Assert.AreEqual("the the", gemma.Decode(new[] { ids["t"], ids["he"], ids["\u2581the"] }));
    }

    [TestMethod]
    public void TiktokenModelUsesLlama3SplitAndSpecialTokensAfterTheVocabulary()
    {
        // Ranks: bytes 0-255, "he" 256, "the" 257, " the" 258; the 256 specials start at 259.
        var tokenizer = TokenizerFiles.FromFiles(new Dictionary<string, byte[]>
        {
            ["tokenizer.model"] = TinyTokenizerFiles.TiktokenModel(new[] { "he", "the", " the" }),
        }, "test files");
        Assert.AreEqual(TokenizerKind.Tiktoken, tokenizer.Kind);
        CollectionAssert.AreEqual(new[] { 259, 257, 258, 'm', 'e' }, tokenizer.Encode("the theme"));
        Assert.AreEqual(259, tokenizer.BeginningOfSequenceId, "<|begin_of_text|>");
        Assert.AreEqual(260, tokenizer.EndOfSequenceId, "<|end_of_text|>");
        CollectionAssert.AreEqual(new[] { 259 + 9, 257 }, tokenizer.Encode("<|eot_id|>the", addBeginningOfSequence: false), "<|eot_id|> is 128009 in Llama 3.1");
        Assert.AreEqual(259 + 256, tokenizer.VocabularySize);
        Assert.AreEqual("the theme", tokenizer.Decode(new[] { 257, 258, 'm', 'e' }));
    }

    [TestMethod]
    public void TokenizerConfigOverridesSpecialTokensMapAndTemplate()
    {
        var tokenizer = ByteLevelLlama3(
            ("special_tokens_map.json", """{"eos_token": "<|end_of_text|>", "pad_token": "<|end_of_text|>"}"""),
            ("tokenizer_config.json", """{"eos_token": {"content": "<|eot_id|>", "special": true}, "add_bos_token": false}"""));
        Assert.AreEqual(263, tokenizer.EndOfSequenceId, "tokenizer_config.json wins over special_tokens_map.json");
        Assert.AreEqual(262, tokenizer.PaddingId, "special_tokens_map.json still fills what the config leaves out");
        Assert.IsFalse(tokenizer.AddsBeginningOfSequence, "add_bos_token false wins over the template");
        CollectionAssert.AreEqual(new[] { 258 }, tokenizer.Encode("the"));
    }

    [TestMethod]
    public void GenerationConfigFillsMissingIds()
    {
        var (json, _) = TinyTokenizerFiles.SentencePieceJson("a", Array.Empty<string>());
        var files = new Dictionary<string, byte[]> { ["tokenizer.json"] = Encoding.UTF8.GetBytes(json) };
        Assert.IsNull(TokenizerFiles.FromFiles(files, "test").EndOfSequenceId);
        var generation = new Microsoft.ML.Neo.GenerationConfig(1, new[] { 2 }, 0);
        var tokenizer = TokenizerFiles.FromFiles(files, "test", generation);
        Assert.AreEqual(2, tokenizer.EndOfSequenceId);
        Assert.AreEqual(0, tokenizer.PaddingId);
    }

    [TestMethod]
    public void SentencePieceModelMatchesMicrosoftTokenizersWhereNoTiesArise()
    {
        // The embedded tokenizer.model through our merge loop and through Microsoft.ML.Tokenizers' LlamaTokenizer.
        var ours = EmbeddedTask.CreateTokenizer();
        using var stream = new MemoryStream(ours.Files[TokenizerFiles.SentencePieceFile]);
        var reference = LlamaTokenizer.Create(stream, addBeginOfSentence: true, addEndOfSentence: false);
        foreach (var problem in ArithmeticWordProblems.Generate(300, seed: 5))
        {
            string text = problem.Prompt + " " + problem.Solution;
            CollectionAssert.AreEqual(reference.EncodeToIds(text).ToArray(), ours.Encode(text), text);
        }
    }

    [TestMethod]
    public void SameVocabularyComparesAddedTokensToo()
    {
        var a = ByteLevelLlama3();
        var (json, _) = TinyTokenizerFiles.ByteLevelJson(new[] { "Ġ t", "h e", "t he", "Ġt he", "Ġ Ġ" }, new[] { "<|begin_of_text|>", "<|end_of_text|>", "<|im_end|>" });
        Assert.IsTrue(a.HasSameVocabularyAs(ByteLevelLlama3()));
        Assert.IsFalse(a.HasSameVocabularyAs(Load(("tokenizer.json", json))));
        Assert.IsFalse(a.HasSameVocabularyAs(EmbeddedTask.CreateTokenizer()));
    }

    [TestMethod]
    public void FolderRoundTripKeepsEveryFile()
    {
        using var dir = new TempDirectory();
        var tokenizer = ByteLevelLlama3(("tokenizer_config.json", """{"eos_token": "<|eot_id|>"}"""));
        tokenizer.SaveTo(dir.Path);
        CollectionAssert.AreEquivalent(new[] { "tokenizer.json", "tokenizer_config.json" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToArray());
        var again = TokenizerFiles.TryLoad(dir.Path)!;
        Assert.AreEqual(263, again.EndOfSequenceId);
        CollectionAssert.AreEqual(tokenizer.Encode("the theme"), again.Encode("the theme"));
    }

    [TestMethod]
    public void UnsupportedTokenizerJsonNamesTheKey()
    {
        void Fails(string json, string key)
        {
            var e = Assert.ThrowsExactly<UnreadableFileException>(() => Load(("tokenizer.json", json)));
            Assert.AreEqual("tokenizer.json", e.Entry, "the file at fault is named");
            StringAssert.Contains(e.Message, key);
            StringAssert.Contains(e.Message, "test files");
        }
        Fails("""{"model": {"type": "Unigram", "vocab": []}}""", "model.type");
        Fails("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Whitespace"}, "decoder": {"type": "ByteLevel"}}""", "pre_tokenizer");
        Fails("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "byte_fallback": true}, "pre_tokenizer": {"type": "Metaspace", "split": true}}""", "pre_tokenizer.Metaspace.split");
        Fails("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "continuing_subword_prefix": "##"}}""", "model.continuing_subword_prefix");
        Fails("{ not json", "not valid JSON");
    }

    [TestMethod]
    public void BadSpecialTokensAndModelsFailClearly()
    {
        var e = Assert.ThrowsExactly<UnreadableFileException>(() => ByteLevelLlama3(("tokenizer_config.json", """{"bos_token": "<|nope|>"}""")));
        StringAssert.Contains(e.Message, "bos_token '<|nope|>'");
        Assert.AreEqual("tokenizer_config.json", e.Entry);
        e = Assert.ThrowsExactly<UnreadableFileException>(() => ByteLevelLlama3(("tokenizer_config.json", """{"add_bos_token": "yes"}""")));
        StringAssert.Contains(e.Message, "add_bos_token");
        e = Assert.ThrowsExactly<UnreadableFileException>(() => TokenizerFiles.FromBytes(new byte[] { 0x0A, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2 }));
        StringAssert.Contains(e.Message, "tokenizer.model");
        e = Assert.ThrowsExactly<UnreadableFileException>(() => TokenizerFiles.FromFiles(new Dictionary<string, byte[]>
        {
            ["tokenizer.model"] = Encoding.ASCII.GetBytes("aGVsbG8= 0\n!!!notbase64 1\n"),
        }, "test files"));
        StringAssert.Contains(e.Message, "line 2");
    }
}
