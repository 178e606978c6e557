using System.Globalization;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Sweeps;

namespace Microsoft.ML.Neo.Tests.Sweeps;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class PrimingRankingTests
{
    private sealed class Row
    {
        public string Prompt { get; set; } = "";
        public string Response { get; set; } = "";
        public string Answer { get; set; } = "";
    }

    private static string Models => Path.Combine(RepositoryPaths.Root(), "src", "Neo.Cli", "EmbeddedModels");

    private static IDataView Problems(MLContext ml, int count, int seed) => ml.Data.LoadFromEnumerable(StyledWordProblems.Generate(count, seed)
        .Select(p => new Row { Prompt = p.Prompt, Response = p.Solution, Answer = p.Answer.ToString(CultureInfo.InvariantCulture) }).ToList());

    [TestMethod]
    public void EachPrimingIsScoredByItsTeachersAnswersAndByTheStudentItMakes()
    {
        // The embedded primed teacher is careless on plain prompts and careful under any priming text.
        var ml = new MLContext(seed: 1);
        var options = new NeoDistillOptions
        {
            Teacher = new TeacherModel(Path.Combine(Models, "styled-teacher-primed")), StudentModelPath = Path.Combine(Models, "styled-student"),
            AnswerColumnName = nameof(Row.Answer), LoraRank = 8, LoraAlpha = 16, LearningRate = 4e-3f, BatchSize = 4, MaxSteps = 2,
            MaxNewTokens = 48, TeacherMaxNewTokens = 48, Seed = 1,
        };
        var train = Problems(ml, 16, seed: 11);
        var validation = Problems(ml, 16, seed: 12);
        var candidates = new[] { PrimingChoice.Of(PrimingStrategy.None), PrimingChoice.Of(PrimingStrategy.GroundTruthWithAnswer) };
        var ranking = ml.RankPrimings(options, candidates, train, validation);

        Assert.AreEqual(2, ranking.Count);
        Assert.IsTrue(ranking[0].StudentAccuracy >= ranking[1].StudentAccuracy, "best student first");
        var plain = ranking.Single(r => r.Priming.Strategy == PrimingStrategy.None);
        var primed = ranking.Single(r => r.Priming.Strategy == PrimingStrategy.GroundTruthWithAnswer);
        Assert.IsTrue(primed.TeacherAccuracy > plain.TeacherAccuracy + 0.1,
            $"priming makes this teacher careful: {primed.TeacherAccuracy:P0} against {plain.TeacherAccuracy:P0} unprimed");
        Assert.AreEqual(plain.StudentAccuracy - plain.StudentGain, primed.StudentAccuracy - primed.StudentGain, 1e-12, "one baseline: the student before distillation");

        // The student's number is that of an ordinary NeoDistill run with the priming, measured on the validation prompts.
        var direct = options.Clone();
        direct.Priming = PrimingStrategy.GroundTruthWithAnswer;
        using var model = ml.Transforms.NeoDistill(direct).Fit(train);
        Assert.AreEqual(ml.EvaluateAnswers(model.Transform(validation)).Accuracy, primed.StudentAccuracy, 1e-12);
        StringAssert.Contains(PrimingRanking.ToTable(ranking), "| GroundTruthWithAnswer |");
    }
}
