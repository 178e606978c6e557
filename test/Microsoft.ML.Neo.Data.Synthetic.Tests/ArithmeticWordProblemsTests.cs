using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Evaluation;

namespace Microsoft.ML.Neo.Tests.Data;

[TestClass]
public sealed class ArithmeticWordProblemsTests
{
    [TestMethod]
    public void SolutionsEndInTheAnswerAndTheirStepsAreCorrect()
    {
        foreach (var problem in ArithmeticWordProblems.Generate(500, seed: 4))
        {
            Assert.IsTrue(problem.Solution.EndsWith($"\n#### {problem.Answer}"), problem.Solution);
            Assert.AreEqual(problem.Answer, AnswerExtractor.Extract(problem.Solution));
            // Every "a op b = c" step in the worked solution is arithmetic that holds.
            foreach (System.Text.RegularExpressions.Match step in System.Text.RegularExpressions.Regex.Matches(problem.Solution, @"(\d+)([+\-*])(\d+)=(\d+)"))
            {
                int a = int.Parse(step.Groups[1].Value), b = int.Parse(step.Groups[3].Value), c = int.Parse(step.Groups[4].Value);
                int expected = step.Groups[2].Value switch { "+" => a + b, "-" => a - b, _ => a * b };
                Assert.AreEqual(expected, c, problem.Solution);
            }
            Assert.IsTrue(problem.Answer >= 0);
            StringAssert.StartsWith(problem.Prompt, "Question: ");
            StringAssert.EndsWith(problem.Prompt, "\nAnswer:");
        }
    }

    [TestMethod]
    public void SameSeedSameProblemsAndShapesCanBeRestricted()
    {
        CollectionAssert.AreEqual(ArithmeticWordProblems.Generate(50, 9), ArithmeticWordProblems.Generate(50, 9));
        CollectionAssert.AreNotEqual(ArithmeticWordProblems.Generate(50, 9), ArithmeticWordProblems.Generate(50, 10));
        var onlyTogether = ArithmeticWordProblems.Generate(30, 1, new[] { 3 });
        Assert.IsTrue(onlyTogether.All(p => p.Question.Contains("together")));
        Assert.IsFalse(ArithmeticWordProblems.Generate(200, 1, new[] { 0, 1, 2 }).Any(p => p.Question.Contains("together")));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ArithmeticWordProblems.Generate(1, 1, new[] { 4 }));
    }
}
