using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.Tests.Tokenization;

/// <summary>
/// SentencePiece models trained with the library's defaults (<c>nmt_nfkc</c> rules from the precompiled charsmap,
/// <c>remove_extra_whitespaces</c>, dummy prefix). Fixtures/sentencepiece-defaults.zip holds a Unigram and a BPE model
/// and the ids the sentencepiece library gave for the short texts of tools/sentencepiece-crosscheck/reference.py,
/// which wrote it. The full corpus is checked by ./build.sh crosscheck-sentencepiece.
/// </summary>
[TestClass]
public sealed class SentencePieceNormalizationTests
{
    private static readonly string FixturePath = Path.Combine(AppContext.BaseDirectory, "Tokenization", "Fixtures", "sentencepiece-defaults.zip");

    private static (TokenizerFiles Tokenizer, List<(string Text, int[] Ids)> Cases) Fixture(string model)
    {
        using var archive = ZipFile.OpenRead(FixturePath);
        byte[] Read(string name)
        {
            using var stream = archive.GetEntry($"{model}/{name}")!.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }
        var tokenizer = TokenizerFiles.FromBytes(Read("tokenizer.model"), $"{model}/tokenizer.model");
        using var reference = JsonDocument.Parse(Read("reference.json"));
        var cases = reference.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => (c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))
            .ToList();
        return (tokenizer, cases);
    }

    [TestMethod]
    [DataRow("unigram")]
    [DataRow("bpe")]
    public void DefaultTrainedModelsGiveTheSentencePieceLibrarysIds(string model)
    {
        var (tokenizer, cases) = Fixture(model);
        Assert.AreEqual(21, cases.Count);
        foreach (var (text, ids) in cases)
            CollectionAssert.AreEqual(ids, tokenizer.Encode(text, addBeginningOfSequence: false), $"{model}: {JsonSerializer.Serialize(text)}");
    }

    [TestMethod]
    [DataRow("unigram")]
    [DataRow("bpe")]
    public void CompatibilityFormsAndExtraWhitespaceNormalizeAway(string model)
    {
        var (tokenizer, _) = Fixture(model);
        int[] Ids(string text) => tokenizer.Encode(text, addBeginningOfSequence: false);
        // NFKC: full-width letters and digits, ligatures, and the no-break space are their plain forms.
        CollectionAssert.AreEqual(Ids("ABC 123 file"), Ids("ＡＢＣ １２３ ﬁle"));
        CollectionAssert.AreEqual(Ids("a b"), Ids("a\u00a0b"));
        // remove_extra_whitespaces: leading, trailing and repeated whitespace (tabs and newlines included) go.
        CollectionAssert.AreEqual(Ids("the model loads"), Ids("  the \t model\n\n loads   "));
        CollectionAssert.AreEqual(Array.Empty<int>(), Ids(" \n\t "));
        // The dummy prefix: a text starts as if after a space.
        CollectionAssert.AreEqual(Ids(" model"), Ids("model"));
    }

    [TestMethod]
    public void TokenOffsetsPointIntoTheOriginalText()
    {
        var (tokenizer, _) = Fixture("unigram");
        const string text = "  ＡＢＣ  the  ﬁle";
        var tokens = tokenizer.Tokenizer.WithBeginningOfSequence(false).EncodeToTokens(text, out _);
        int previousStart = -1;
        foreach (var token in tokens)
        {
            var (start, length) = token.Offset.GetOffsetAndLength(text.Length);
            Assert.IsTrue(start >= previousStart && start + length <= text.Length, $"{token.Value} at {token.Offset}");
            previousStart = start;
        }
        // The first token comes from "Ａ" (offset 2), after the leading spaces that normalization removed.
        Assert.AreEqual(2, tokens[0].Offset.Start.Value);
        // "▁the" covers the spaces its '▁' stands for and the word.
        Assert.AreEqual("  the", text[tokens.Single(t => t.Value == "\u2581the").Offset]);
    }

    [TestMethod]
    public void UnigramPicksTheBestScoreTheFirstOfEqualPathsAndOneUnknownPerRun()
    {
        // ids: <unk> 0, <s> 1, </s> 2, then "▁" 3, "#" 4, "##" 5, "a" 6, "aa" 7, "▁a" 8 with their log probabilities.
        var pieces = new List<SentencePiece>
        {
            new("<unk>", 0, SentencePieceType.Unknown), new("<s>", 0, SentencePieceType.Control), new("</s>", 0, SentencePieceType.Control),
            new("\u2581", -2f, SentencePieceType.Normal), new("#", -6.5f, SentencePieceType.Normal), new("##", -6f, SentencePieceType.Normal),
            new("a", -3f, SentencePieceType.Normal), new("aa", -5f, SentencePieceType.Normal), new("\u2581a", -4f, SentencePieceType.Normal),
        };
        var model = SentencePieceModelBuilder.Build(pieces, unknownId: 0, bosId: 1, eosId: 2, byteFallback: false, addDummyPrefix: false,
            modelType: SentencePieceModelContents.Unigram);
        var tokenizer = TokenizerFiles.FromBytes(model);
        int[] Ids(string text) => tokenizer.Encode(text, addBeginningOfSequence: false);
        // "aa": one piece scores -5, two score -6.
        CollectionAssert.AreEqual(new[] { 7 }, Ids("aa"));
        // "###": "#"+"##" and "##"+"#" both score -12.5; the library keeps the first found (the split ending earliest).
        CollectionAssert.AreEqual(new[] { 4, 5 }, Ids("###"));
        // " a": "▁a" (-4) beats "▁"+"a" (-5).
        CollectionAssert.AreEqual(new[] { 8 }, Ids(" a"));
        // Characters outside the vocabulary: one <unk> for the run "bcd", not three.
        CollectionAssert.AreEqual(new[] { 6, 0, 6 }, Ids("abcda"));
        Assert.AreEqual(TokenizerKind.SentencePiece, tokenizer.Kind);
    }

    [TestMethod]
    public void DamagedCharsmapIsNamed()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => PrecompiledCharsMap.Read(new byte[] { 0xF0, 0, 0, 0, 1, 2, 3, 4 }));
        StringAssert.Contains(e.Message, "precompiled_charsmap");
        Assert.IsNull(PrecompiledCharsMap.Read(ReadOnlySpan<byte>.Empty), "the identity rule has no charsmap");
    }
}
