using Microsoft.ML.Neo.Evaluation;

namespace Microsoft.ML.Neo.Tests.Evaluation;

[TestClass]
public sealed class AnswerAccuracyEvaluatorTests
{
    private sealed class Row
    {
        public string Completion { get; set; } = "";
        public string Response { get; set; } = "";
    }

    [TestMethod]
    public void CountsCorrectWrongFailuresAndSkippedRows()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[]
        {
            new Row { Completion = "48 / 2 = 24, 48 + 24 = 72\n#### 72", Response = "Natalia sold 48/2 = 24 clips.\n#### 72" },
            new Row { Completion = "The answer is \\boxed{1,250}.", Response = "1250" },
            new Row { Completion = "So she has 9 left.", Response = "#### 10" },
            new Row { Completion = "I do not know.", Response = "#### 3" },
            new Row { Completion = "7", Response = "no reference answer" },
        });
        var metrics = ml.EvaluateAnswers(data);
        Assert.AreEqual(4, metrics.Evaluated);
        Assert.AreEqual(2, metrics.Correct);
        Assert.AreEqual(0.5, metrics.Accuracy, 1e-12);
        Assert.AreEqual(1, metrics.ExtractionFailures);
        Assert.AreEqual(1, metrics.SkippedRows);
        Assert.AreEqual(1, metrics.AnswersByRule[AnswerRule.Boxed]);
        Assert.AreEqual(1, metrics.AnswersByRule[AnswerRule.FirstLine], "a one-line answer is decided by the first-line rule");
        Assert.AreEqual(1, metrics.AnswersByRule[AnswerRule.None]);
        StringAssert.Contains(metrics.ToString(), "50.0");
    }

    [TestMethod]
    public void MissingOrNonTextColumnsAreNamed()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row() });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.EvaluateAnswers(data, "Prediction", "Response"));
        StringAssert.Contains(e.Message, "'Prediction'");
        StringAssert.Contains(e.Message, "Completion, Response");
    }
}
