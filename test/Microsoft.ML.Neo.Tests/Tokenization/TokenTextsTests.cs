using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.Tests.Tokenization;

/// <summary>
/// Each token's text in its sequence (what completions' logprobs.tokens and neo tokenize report): the texts join into
/// the decoded sequence, a SentencePiece word keeps its leading space in the middle of a sequence, and byte pieces of
/// one character give the whole character once.
/// </summary>
[TestClass]
public sealed class TokenTextsTests
{
    [TestMethod]
    public void SentencePieceWordsKeepTheirSpaces()
    {
        var tokenizer = EmbeddedTask.CreateTokenizer();
        var ids = tokenizer.Encode("Tom has 5 stamps.", addBeginningOfSequence: false);
        var texts = tokenizer.TokenTexts(ids);
        Assert.AreEqual(tokenizer.Decode(ids), string.Concat(texts));
        Assert.AreEqual(" has", texts[1], "decoded alone, the piece would lose its space");
    }

    [TestMethod]
    public void ByteLevelPiecesOfOneCharacterGiveItOnce()
    {
        var (json, _) = TinyTokenizerFiles.ByteLevelJson(new[] { "c a", "ca f" }, new[] { "<|endoftext|>" });
        var tokenizer = TokenizerFiles.FromFiles(new Dictionary<string, byte[]> { ["tokenizer.json"] = System.Text.Encoding.UTF8.GetBytes(json) }, "test");
        var ids = tokenizer.Encode("café au lait", addBeginningOfSequence: false);
        var texts = tokenizer.TokenTexts(ids);
        Assert.AreEqual("café au lait", string.Concat(texts));
        int e = Array.FindIndex(texts, t => t.Contains('é'));
        Assert.AreEqual("", texts[e - 1], "the first byte of é adds nothing yet");
        Assert.AreEqual("é", texts[e]);
        Assert.IsFalse(texts.Any(t => t.Contains('\uFFFD')));
    }
}
