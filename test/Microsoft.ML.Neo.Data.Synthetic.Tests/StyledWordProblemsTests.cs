using System.Text.RegularExpressions;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Evaluation;

namespace Microsoft.ML.Neo.Tests.Data;

[TestClass]
public sealed class StyledWordProblemsTests
{
    // "x op y = z" steps of a worked solution.
    private static readonly Regex Step = new(@"(\d+)([+\-*])(\d+)=(\d+)");

    private static bool IsRight(Match step)
    {
        int x = int.Parse(step.Groups[1].Value), y = int.Parse(step.Groups[3].Value), z = int.Parse(step.Groups[4].Value);
        return z == step.Groups[2].Value switch { "+" => x + y, "-" => x - y, _ => x * y };
    }

    private static int FinalLine(string solution) => int.Parse(solution[(solution.LastIndexOf("#### ", StringComparison.Ordinal) + 5)..]);

    [TestMethod]
    public void CleanProblemsAreWorkedCorrectlyInEveryStyle()
    {
        var problems = StyledWordProblems.Generate(600, seed: 1);
        foreach (var problem in problems)
        {
            var steps = Step.Matches(problem.Solution);
            Assert.AreEqual(2, steps.Count, problem.Solution);
            Assert.IsTrue(steps.All(IsRight), problem.Solution);
            Assert.AreEqual(problem.Answer, FinalLine(problem.Solution), problem.Solution);
            Assert.AreEqual(problem.Answer, AnswerExtractor.Extract(problem.Solution), "the evaluator reads the final line");
        }
        Assert.IsTrue(problems.Count(p => char.IsDigit(p.Solution[0])) is > 150 and < 250, "about a third are in the compact style");
        Assert.IsTrue(problems.Count(p => p.Solution.Contains(" buys ") && p.Solution.Contains('-') && p.Solution.IndexOf('+') < p.Solution.IndexOf('-')) > 20,
            "some take the steps in the other order (buy first, then give away)");
        var openings = problems.Select(p => Regex.Replace(string.Join(' ', p.Solution.Split(' ').Skip(1).Take(2)), @"\d+", "9")).Distinct().Count();
        Assert.IsTrue(openings >= 8, $"{openings} ways to go on after the first word");
        CollectionAssert.AreEqual(problems.Select(p => p.Solution).ToList(), StyledWordProblems.Generate(600, seed: 1).Select(p => p.Solution).ToList());
    }

    [TestMethod]
    public void NoisyReferencesHaveSlipsAndGapsAtTheirRatesAndKeepTheTrueAnswer()
    {
        const int count = 4000;
        var clean = StyledWordProblems.Generate(count, seed: 2);
        var noisy = StyledWordProblems.Generate(count, seed: 2, ReferenceNoise.Embedded);
        var slipped = noisy.Where(p => p.Solution.Contains('=') && FinalLine(p.Solution) != p.Answer).ToList();
        int answerOnly = noisy.Count(p => p.Solution == $"#### {p.Answer}");
        Assert.AreEqual(0.25 * count, slipped.Count, 0.03 * count, "a quarter have a slip");
        Assert.AreEqual(0.75 * 0.15 * count, answerOnly, 0.03 * count, "15 % of the rest are answer-only");
        Assert.AreEqual(count, slipped.Count + answerOnly + noisy.Count(p => p.Solution.Contains('=') && FinalLine(p.Solution) == p.Answer));
        foreach (var problem in slipped)
        {
            // One slip: a wrong result in one step; a wrong first result is carried into a correctly computed second step.
            var steps = Step.Matches(problem.Solution);
            Assert.AreEqual(1, steps.Count(s => !IsRight(s)), problem.Solution);
            Assert.AreEqual(int.Parse(steps[^1].Groups[4].Value), FinalLine(problem.Solution), "the final line repeats the last step");
        }
        Assert.IsTrue(noisy.Where(p => p.Solution.Contains('=') && FinalLine(p.Solution) == p.Answer).All(p => Step.Matches(p.Solution).All(IsRight)));
        CollectionAssert.AreEqual(clean.Select(p => p.Question).ToList(), noisy.Select(p => p.Question).ToList(), "noise changes only the references");
        CollectionAssert.AreEqual(clean.Select(p => p.Answer).ToList(), noisy.Select(p => p.Answer).ToList(), "answers stay true");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => StyledWordProblems.Generate(1, 1, new ReferenceNoise(1.5, 0)));
    }
}
