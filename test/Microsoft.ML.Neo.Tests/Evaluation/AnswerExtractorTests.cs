using Microsoft.ML.Neo.Evaluation;

namespace Microsoft.ML.Neo.Tests.Evaluation;

[TestClass]
public sealed class AnswerExtractorTests
{
    [TestMethod]
    [DataRow("Tom buys 3*4=12 apples. Now he has 5+12=17 apples.\n#### 17", 17)]
    [DataRow("She earns $1,250 in total.\n#### 1,250", 1250)]
    [DataRow("#### -3", -3)]
    [DataRow("The answer is 42, not 41.", 41)]
    [DataRow("so 7 boxes are left", 7)]
    [DataRow("#### 2.5 hours", 2.5)]
    public void FindsTheFinalAnswer(string text, double expected)
    {
        Assert.AreEqual((decimal)expected, AnswerExtractor.Extract(text));
    }

    [TestMethod]
    public void NoNumberGivesNull()
    {
        Assert.IsNull(AnswerExtractor.Extract("no digits here"));
        Assert.IsNull(AnswerExtractor.Extract(""));
        Assert.IsNull(AnswerExtractor.Extract(null));
    }
}
