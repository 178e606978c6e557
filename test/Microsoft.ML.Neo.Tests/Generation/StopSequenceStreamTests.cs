using Microsoft.ML.Neo.Generation;

namespace Microsoft.ML.Neo.Tests.Generation;

[TestClass]
public sealed class StopSequenceStreamTests
{
    // Feeds the text one token at a time and returns what was released, piece by piece.
    private static (List<string> Pieces, StopSequenceStream Stream) Feed(string[] tokens, params string[] stops)
    {
        var decodedTexts = new List<string>();
        foreach (var token in tokens) decodedTexts.Add((decodedTexts.Count == 0 ? "" : decodedTexts[^1]) + token);
        return FeedDecoded(decodedTexts, stops);
    }

    // Feeds the whole text decoded after each token, as a tokenizer gives it (a partial character decodes to U+FFFD).
    private static (List<string> Pieces, StopSequenceStream Stream) FeedDecoded(IEnumerable<string> decodedTexts, params string[] stops)
    {
        var stream = new StopSequenceStream(stops);
        var pieces = new List<string>();
        foreach (var decoded in decodedTexts)
        {
            pieces.Add(stream.Advance(decoded));
            if (stream.Stopped) break;
        }
        pieces.Add(stream.Finish());
        return (pieces, stream);
    }

    [TestMethod]
    public void AStopSplitAcrossTokensNeverLeaksItsStart()
    {
        // "END" arrives as "E", "N", "D" across three tokens: nothing of it may be sent.
        var (pieces, stream) = Feed(["The answer", " is 4. E", "N", "D and more"], "END");
        Assert.AreEqual("The answer is 4. ", string.Concat(pieces));
        Assert.IsTrue(stream.Stopped);
        Assert.AreEqual("The answer", pieces[0]);
        Assert.AreEqual(" is 4. ", pieces[1], "the 'E' that may start the stop is held back");
        Assert.AreEqual("", pieces[2], "'EN' is still a possible start");
        Assert.AreEqual(2, stream.KeptTokens, "'N' and the token that completed the stop add nothing to the text");
    }

    [TestMethod]
    public void AHeldBackPrefixThatIsNotAStopGoesOut()
    {
        var (pieces, stream) = Feed(["Q", "ED?", " no: EX", "IT"], "END", "EXIT!");
        Assert.IsFalse(stream.Stopped);
        Assert.AreEqual("QED? no: EXIT", string.Concat(pieces));
        Assert.AreEqual("", pieces[3], "'EXIT' could still become 'EXIT!'");
        Assert.AreEqual("EXIT", pieces[4], "the end of the generation releases it");
        Assert.AreEqual(4, stream.KeptTokens);
    }

    [TestMethod]
    public void TheEarliestStopWinsAndPartialCharactersWait()
    {
        var (pieces, stream) = FeedDecoded(["ab\uFFFD", "abc", "abc##x;y"], ";", "##");
        Assert.AreEqual("", pieces[0], "an incomplete character waits for its other bytes");
        Assert.AreEqual("abc", string.Concat(pieces));
        Assert.AreEqual(2, stream.KeptTokens, "the second token completed the character");
        Assert.AreEqual(("abc", true), StopSequenceStream.Cut("abc##x;y", [";", "##"]));
        Assert.AreEqual(("abc", false), StopSequenceStream.Cut("abc", ["", "zz"]));
    }

    [TestMethod]
    public void AStopInsideOneTokenKeepsThatTokenWhenPartOfItIsReturned()
    {
        var (pieces, stream) = Feed(["one", " two</s>three"], "</s>");
        Assert.AreEqual("one two", string.Concat(pieces));
        Assert.AreEqual(2, stream.KeptTokens);
        Assert.ThrowsExactly<InvalidOperationException>(() => stream.Advance("one two</s>three!"));
    }
}
