using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Teachers;

namespace Microsoft.ML.Neo.Tests.MLNet;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class TeacherResponseTests
{
    private sealed class Row
    {
        public string Prompt { get; set; } = "";
        public string Response { get; set; } = "";
        public string Answer { get; set; } = "";
    }

    private static List<Row> Rows(int count) => ArithmeticWordProblems.Generate(count, seed: 12)
        .Select(p => new Row { Prompt = p.Prompt, Response = p.Solution, Answer = p.Answer.ToString() }).ToList();

    [TestMethod]
    public void AddsThePrimedTeachersResponseLazilyAndFeedsNeoDistill()
    {
        using var fixture = new DistillFixture(context: 512);
        var ml = new MLContext(seed: 1);
        var rows = Rows(4);
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new NeoTeacherResponseOptions
        {
            Teacher = new TeacherModel(fixture.TeacherPath), Priming = PrimingStrategy.GroundTruthWithAnswer, AnswerColumnName = "Answer",
            MaxNewTokens = 10, CacheDirectory = fixture.Sub("cache"),
        };
        using var teacher = ml.Transforms.NeoTeacherResponses(options).Fit(data);
        var withResponses = teacher.Transform(data);
        Assert.AreEqual(0, File.Exists(Path.Combine(fixture.Sub("cache"), TeacherGenerationCache.FileName))
            ? File.ReadAllLines(Path.Combine(fixture.Sub("cache"), TeacherGenerationCache.FileName)).Length : 0, "nothing generated before a value is read");

        var responses = withResponses.GetColumn<string>("TeacherResponse").ToList();
        Assert.AreEqual(rows.Count, responses.Count);
        CollectionAssert.AreEqual(responses, rows.Select(r => teacher.Respond(r.Prompt, r.Answer)).ToList(), "the column is Respond's output");
        Assert.AreEqual(rows.Count, teacher.CacheHits, "the second pass came from the cache");
        var plainOptions = new NeoTeacherResponseOptions { Teacher = new TeacherModel(fixture.TeacherPath), MaxNewTokens = 10 };
        using var plain = ml.Transforms.NeoTeacherResponses(plainOptions).Fit(data);
        Assert.AreNotEqual(string.Join("|", responses), string.Join("|", rows.Select(r => plain.Respond(r.Prompt))), "priming changes the responses");

        // Train on the teacher's responses: sequence-level KD through the pipeline.
        var distill = fixture.Options();
        distill.ResponseColumnName = "TeacherResponse";
        distill.KdWeight = 0;
        using var student = ml.Transforms.NeoDistill(distill).Fit(withResponses);
        Assert.IsNotNull(student.TrainingSummary);
    }

    [TestMethod]
    public void BadOptionsAndColumnsAreNamed()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new NeoTeacherResponseOptions
        {
            Teacher = new TeacherModel("t"), Priming = PrimingStrategy.GroundTruthWithAnswer,
        }.Validate());
        StringAssert.Contains(e.Message, "AnswerColumnName");

        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(2));
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.NeoTeacherResponses(new NeoTeacherResponseOptions
        {
            Teacher = new TeacherModel(fixture.TeacherPath), PromptColumnName = "Question",
        }).Fit(data));
        StringAssert.Contains(missing.Message, "NeoTeacherResponseOptions.PromptColumnName");
    }
}
