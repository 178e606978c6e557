using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Evaluation;

namespace Microsoft.ML.Neo.Tests.Data;

[TestClass]
public sealed class PrimedTeacherDataTests
{
    [TestMethod]
    public void WrongResultChangesTheLastEquationAndTheMarkerOnly()
    {
        var problem = new WordProblem("q", "Tom buys 2*5=10 stamps. Now Tom has 11+10=21 stamps.\n#### 21", 21);
        string wrong = PrimedTeacherData.WithWrongResult(problem, new Random(1));
        var value = AnswerExtractor.Extract(wrong)!.Value;
        Assert.AreNotEqual(21m, value);
        Assert.IsTrue(Math.Abs(value - 21) <= 3);
        Assert.AreEqual($"Tom buys 2*5=10 stamps. Now Tom has 11+10={value} stamps.\n#### {value}", wrong);
    }

    [TestMethod]
    public void PrimedPromptsAlwaysGetTheCorrectSolutionAndPlainOnesSometimesNot()
    {
        var problems = ArithmeticWordProblems.Generate(2000, seed: 4);
        var pairs = PrimedTeacherData.Generate(problems, seed: 1, sloppiness: 0.3);
        int plain = 0, plainWrong = 0, primed = 0;
        for (int i = 0; i < problems.Count; i++)
        {
            bool isPlain = pairs[i].Prompt == problems[i].Prompt;
            bool correct = AnswerExtractor.Extract(pairs[i].Response) == problems[i].Answer;
            if (isPlain)
            {
                plain++;
                if (!correct) plainWrong++;
            }
            else
            {
                primed++;
                Assert.IsTrue(correct, pairs[i].Prompt);
                Assert.IsTrue(pairs[i].Prompt.Contains(PrimingPrompts.TeacherText) || pairs[i].Prompt.Contains(PrimingPrompts.GroundTruthText)
                    || pairs[i].Prompt.Contains(PrimingPrompts.ConfidenceText), pairs[i].Prompt);
            }
        }
        Assert.AreEqual(0.4, plain / 2000.0, 0.04);
        Assert.AreEqual(0.3, plainWrong / (double)plain, 0.05);
        Assert.AreEqual(2000, plain + primed);
    }

    [TestMethod]
    public void CarelessReferencesAnswerThePlainPromptsAndPrimedOnesStayClean()
    {
        var problems = StyledWordProblems.Generate(1000, seed: 4);
        var careless = StyledWordProblems.Generate(1000, seed: 4, new ReferenceNoise(SlipRate: 0.3, AnswerOnlyRate: 0));
        var pairs = PrimedTeacherData.Generate(problems, seed: 1, careless);
        int plain = 0, plainWrong = 0;
        for (int i = 0; i < problems.Count; i++)
        {
            Assert.AreEqual(problems[i].Prompt, careless[i].Prompt, "the same seed must give the same problems with any noise");
            if (pairs[i].Prompt == problems[i].Prompt)
            {
                plain++;
                Assert.AreEqual(careless[i].Solution, pairs[i].Response);
                if (AnswerExtractor.Extract(pairs[i].Response) != problems[i].Answer) plainWrong++;
            }
            else
            {
                Assert.AreEqual(problems[i].Solution, pairs[i].Response);
            }
        }
        Assert.AreEqual(0.4, plain / 1000.0, 0.05);
        Assert.AreEqual(0.3, plainWrong / (double)plain, 0.07);
        Assert.ThrowsExactly<ArgumentException>(() => PrimedTeacherData.Generate(problems, 1, careless.Take(10).ToList()));
    }
}
