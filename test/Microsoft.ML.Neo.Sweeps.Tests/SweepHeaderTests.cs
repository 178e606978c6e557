using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Sweeps;

namespace Microsoft.ML.Neo.Tests.Sweeps;

/// <summary>
/// A trial log's header: the teacher as its own record, and logs written before the teacher became one option still
/// continued, checked against a header that version wrote (docs/data/sweep-distillation-trials.jsonl).
/// </summary>
[TestClass]
public sealed class SweepHeaderTests
{
    private static (string Header, List<string> Dimensions, string Metric, bool Maximize, JsonObject Options) CommittedHeader()
    {
        string line = File.ReadLines(Path.Combine(RepositoryPaths.Root(), "docs", "data", "sweep-distillation-trials.jsonl")).First();
        string header = JsonNode.Parse(line)!["sweep"]!.GetValue<string>();
        var parts = JsonNode.Parse(header)!.AsObject();
        return (header, parts["dimensions"]!.AsArray().Select(d => d!.GetValue<string>()).ToList(), parts["metric"]!.GetValue<string>(),
            parts["maximize"]!.GetValue<bool>(), JsonNode.Parse(parts["options"]!.GetValue<string>())!.AsObject());
    }

    [TestMethod]
    public void ALogWrittenBeforeTheTeacherOptionIsRecognisedAsTheSameSweep()
    {
        var (header, dimensions, metric, maximize, old) = CommittedHeader();
        Assert.IsTrue(old.ContainsKey("TeacherModelPath"), "the committed header is the old form");
        // The same sweep today: the old options, with the teacher as one option.
        var options = JsonSerializer.Deserialize<NeoDistillOptions>(old.ToJsonString())!;
        options.Teacher = new TeacherModel(old["TeacherModelPath"]!.GetValue<string>());
        Assert.AreEqual(header, SweepHeader.Legacy(dimensions, metric, maximize, options));
        Assert.AreNotEqual(header, SweepHeader.Describe(dimensions, metric, maximize, options), "new logs write the teacher's own record");

        // Another teacher, or a cached local teacher (which kept its top 64 in 10-bit logits then), is not that sweep.
        options.Teacher = new TeacherModel("/elsewhere/teacher");
        Assert.AreNotEqual(header, SweepHeader.Legacy(dimensions, metric, maximize, options));
        options.Teacher = new TeacherModel(old["TeacherModelPath"]!.GetValue<string>());
        options.TeacherCacheDirectory = "cache";
        Assert.IsNull(SweepHeader.Legacy(dimensions, metric, maximize, options), "the old cache trained on another objective");
    }

    [TestMethod]
    public void TheHeaderNamesTheTeacherByItsRecord()
    {
        var options = new NeoDistillOptions { StudentModelPath = "student", Teacher = new TeacherModel("teacher-a") };
        string a = SweepHeader.Describe(["LoraRank=[4, 8]"], "AnswerAccuracy", true, options);
        StringAssert.Contains(a, "teacher-a");
        options.Teacher = new TeacherModel("teacher-b");
        Assert.AreNotEqual(a, SweepHeader.Describe(["LoraRank=[4, 8]"], "AnswerAccuracy", true, options));
        options.Teacher = new TeacherEndpoint { Url = "http://localhost:8000", Model = "m", ApiKeyEnvironmentVariable = "KEY" };
        string served = SweepHeader.Describe(["LoraRank=[4, 8]"], "AnswerAccuracy", true, options);
        StringAssert.Contains(served, "endpoint");
        StringAssert.Contains(served, "http://localhost:8000");
    }

    [TestMethod]
    public void ATrialLogOpensWithItsLegacyHeaderAndRefusesAnother()
    {
        using var folder = new TempDirectory();
        string path = folder.Sub("trials.jsonl");
        File.WriteAllText(path, new JsonObject { ["sweep"] = "old form" }.ToJsonString() + "\n");
        Assert.AreEqual(0, new TrialLog(path).Open("new form", "old form").Count);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new TrialLog(path).Open("new form", "another old form"));
        StringAssert.Contains(e.Message, "different sweep");
    }
}
