using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.Tests.Tokenization;

[TestClass]
public sealed class SentencePieceModelBuilderTests
{
    [TestMethod]
    public void BuiltModelLoadsInLlamaTokenizerWithLlamaLayout()
    {
        var files = EmbeddedTask.CreateTokenizer();
        Assert.AreEqual(TokenizerKind.SentencePiece, files.Kind);
        Assert.AreEqual(0, files.UnknownId);
        Assert.AreEqual(1, files.BeginningOfSequenceId);
        Assert.AreEqual(2, files.EndOfSequenceId);
        Assert.IsTrue(files.AddsBeginningOfSequence, "a SentencePiece model adds BOS, as transformers' LlamaTokenizer does");
        // Byte fallback: a character outside the vocabulary becomes its UTF-8 byte pieces, which follow the three specials.
        CollectionAssert.AreEqual(new[] { 3 + 0xE2, 3 + 0x82, 3 + 0xAC }, files.Encode("€", addBeginningOfSequence: false)[1..]);
    }

    [TestMethod]
    public void TemplateWordsBecomeSingleTokensAndDigitsStaySplit()
    {
        var tokenizer = EmbeddedTask.CreateTokenizer();
        var ids = tokenizer.Encode("Tom buys 12 apples", addBeginningOfSequence: false);
        var pieces = ids.Select(id => tokenizer.Decode(new[] { id })).ToList();
        // "▁Tom", "▁buys", "▁", "1", "2", "▁apples"
        Assert.AreEqual(6, ids.Length, string.Join("|", pieces));
        Assert.AreEqual("1", pieces[3]);
        Assert.AreEqual("2", pieces[4]);
    }

    [TestMethod]
    public void TextRoundTripsIncludingUnseenCharacters()
    {
        var tokenizer = EmbeddedTask.CreateTokenizer();
        foreach (var text in ArithmeticWordProblems.Generate(20, 3).Select(p => p.Prompt + " " + p.Solution).Append("naïve £5 — ok\nnew line"))
        {
            var ids = tokenizer.Encode(text);
            Assert.AreEqual(1, ids[0], "BOS first");
            Assert.IsFalse(ids.Contains(tokenizer.UnknownId!.Value), "byte fallback covers every character: " + text);
            Assert.AreEqual(text, tokenizer.Decode(ids.Skip(1)));
        }
    }

    [TestMethod]
    public void ModelBytesRoundTrip()
    {
        var files = EmbeddedTask.CreateTokenizer();
        var again = TokenizerFiles.FromBytes(files.Files[TokenizerFiles.SentencePieceFile]);
        Assert.IsTrue(files.HasSameVocabularyAs(again));
        var other = TokenizerFiles.FromBytes(SentencePieceModelBuilder.Build(new[] { "a", "b" }));
        Assert.IsFalse(files.HasSameVocabularyAs(other));
        Assert.ThrowsExactly<UnreadableFileException>(() => TokenizerFiles.FromBytes(new byte[] { 1, 2, 3, 4, 5 }));
    }
}
