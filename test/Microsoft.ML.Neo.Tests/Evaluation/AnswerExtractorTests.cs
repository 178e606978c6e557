using Microsoft.ML.Neo.Evaluation;

namespace Microsoft.ML.Neo.Tests.Evaluation;

[TestClass]
public sealed class AnswerExtractorTests
{
    [TestMethod]
    [DataRow("Tom buys 3*4=12 apples. Now he has 5+12=17 apples.\n#### 17", 17, AnswerRule.Gsm8kMarker)]
    [DataRow("She earns $1,250 in total.\n#### 1,250", 1250, AnswerRule.Gsm8kMarker)]
    [DataRow("#### -3", -3, AnswerRule.Gsm8kMarker)]
    [DataRow("#### 2.5 hours", 2.5, AnswerRule.Gsm8kMarker)]
    [DataRow("Each box holds 12 pens, so 4 boxes hold 4 * 12 = 48 pens.\nThe answer is \\boxed{48}.", 48, AnswerRule.Boxed)]
    [DataRow("We need \\boxed{\\text{none}} first, then \\boxed{ 1,024 } bytes.", 1024, AnswerRule.Boxed)]
    [DataRow("72\nNatalia sold 48/2 = 24 clips in May and 48 + 24 = 72 altogether.", 72, AnswerRule.FirstLine)]
    [DataRow("72 clips, that is 72 in total.\nShe sold 48 in April.", 72, AnswerRule.FirstLine)]
    [DataRow("She sold 48 in April and 24 in May.\nSo the final answer is 72 clips, 12 more than last year.", 72, AnswerRule.AnswerIsPhrase)]
    [DataRow("Let's check: 3 + 4 = 7.\nThe correct answer is: $3.50 per cup, not $4.", 3.5, AnswerRule.AnswerIsPhrase)]
    [DataRow("First 10 - 4 = 6 are left.\nThen half of them, 3, are eaten, leaving 3", 3, AnswerRule.LastNumber)]
    [DataRow("Tom has 5 apples and buys 3 more.\nHe gives away 2, so 5 + 3 - 2 = 6.", 6, AnswerRule.LastNumber)]
    [DataRow("The tank leaks.\nAfter 10-5 hours it is 20% full", 20, AnswerRule.LastNumber)]
    [DataRow("The tank loses 40% an hour.\nAfter 10-5 hours it is 20% full", 40, AnswerRule.FirstLine)]
    public void FindsTheFinalAnswerWithTheSeedsRulesInOrder(string text, double expected, AnswerRule rule)
    {
        var (value, used) = AnswerExtractor.ExtractWithRule(text);
        Assert.AreEqual((decimal)expected, value, text);
        Assert.AreEqual(rule, used, text);
    }

    [TestMethod]
    public void FirstLineIsSkippedWhenItsNumbersDisagree()
    {
        // 48 and 24 disagree, so the first line does not decide; the phrase does.
        Assert.AreEqual(72m, AnswerExtractor.Extract("She sold 48 and then 24.\nThe answer is 72."));
    }

    [TestMethod]
    public void MinusAfterADigitIsSubtractionNotASign()
    {
        Assert.AreEqual(5m, AnswerExtractor.Extract("Working: 10-5 is it"), "'10-5' is 10 and 5, and 5 is last");
        Assert.AreEqual(-5m, AnswerExtractor.Extract("The temperature fell to -5"));
    }

    [TestMethod]
    public void NoNumberGivesNull()
    {
        Assert.AreEqual((null, AnswerRule.None), AnswerExtractor.ExtractWithRule("no digits here"));
        Assert.IsNull(AnswerExtractor.Extract(""));
        Assert.IsNull(AnswerExtractor.Extract(null));
    }
}
