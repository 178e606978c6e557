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
        var tokenizer = files.Tokenizer;
        Assert.AreEqual(0, tokenizer.UnknownId);
        Assert.AreEqual(1, tokenizer.BeginningOfSentenceId);
        Assert.AreEqual(2, tokenizer.EndOfSentenceId);
        Assert.IsTrue(tokenizer.ByteFallback);
        Assert.AreEqual(3 + 0x0A, tokenizer.Vocabulary["<0x0A>"], "byte pieces follow the three specials");
    }

    [TestMethod]
    public void TemplateWordsBecomeSingleTokensAndDigitsStaySplit()
    {
        var tokenizer = EmbeddedTask.CreateTokenizer().Tokenizer;
        var ids = tokenizer.EncodeToIds("Tom buys 12 apples", addBeginningOfSentence: false, addEndOfSentence: false);
        var pieces = ids.Select(id => tokenizer.Decode(new[] { id })).ToList();
        // "▁Tom", "▁buys", "▁", "1", "2", "▁apples"
        Assert.AreEqual(6, ids.Count, string.Join("|", pieces));
        Assert.AreEqual("1", pieces[3]);
        Assert.AreEqual("2", pieces[4]);
    }

    [TestMethod]
    public void TextRoundTripsIncludingUnseenCharacters()
    {
        var tokenizer = EmbeddedTask.CreateTokenizer().Tokenizer;
        foreach (var text in ArithmeticWordProblems.Generate(20, 3).Select(p => p.Prompt + " " + p.Solution).Append("naïve £5 — ok\nnew line"))
        {
            var ids = tokenizer.EncodeToIds(text, addBeginningOfSentence: true, addEndOfSentence: false);
            Assert.AreEqual(1, ids[0], "BOS first");
            Assert.IsFalse(ids.Contains(tokenizer.UnknownId), "byte fallback covers every character: " + text);
            Assert.AreEqual(text, tokenizer.Decode(ids));
        }
    }

    [TestMethod]
    public void ModelBytesRoundTrip()
    {
        var files = EmbeddedTask.CreateTokenizer();
        var again = TokenizerFiles.FromBytes(files.SentencePieceModel);
        Assert.IsTrue(files.HasSameVocabularyAs(again));
        var other = TokenizerFiles.FromBytes(SentencePieceModelBuilder.Build(new[] { "a", "b" }));
        Assert.IsFalse(files.HasSameVocabularyAs(other));
        Assert.ThrowsExactly<InvalidDataException>(() => TokenizerFiles.FromBytes(new byte[] { 1, 2, 3, 4, 5 }));
    }
}
