namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>NeoDistillOptions.ToPlan: the one place where options become a run, defaults resolved.</summary>
[TestClass]
public sealed class DistillationPlanTests
{
    private static NeoDistillOptions Local() => new() { TeacherModelPath = "teacher", StudentModelPath = "student" };

    private static NeoDistillOptions Served() => new()
    {
        StudentModelPath = "student", TeacherCacheDirectory = "cache",
        TeacherEndpoint = new TeacherEndpoint { Url = "http://localhost:8000", Model = "teacher" },
    };

    [TestMethod]
    public void AnAutomaticTopKIs64ForALocalTeacherAnd20ForAServedOne()
    {
        Assert.AreEqual(0, new NeoDistillOptions().TeacherScoreTopK, "automatic by default");
        Assert.AreEqual(64, Local().ToPlan().Teacher.ScoreTopK);
        Assert.AreEqual(20, Served().ToPlan().Teacher.ScoreTopK, "what vLLM allows without --max-logprobs");
        var chosen = Served();
        chosen.TeacherScoreTopK = 7;
        Assert.AreEqual(7, chosen.ToPlan().Teacher.ScoreTopK);
        var wrong = Local();
        wrong.TeacherScoreTopK = -1;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(wrong.Validate).Message, "0 (automatic) or between 1 and 65536");
    }

    [TestMethod]
    public void ThePlanTakesTheOptionsDefaultsNotDefaultsOfItsOwn()
    {
        var options = Local();
        var plan = options.ToPlan();
        Assert.AreEqual(options.Precision, plan.Precision, "Auto, resolved against the device when the run starts");
        Assert.AreEqual(options.OnPolicyMaxNewTokens, plan.OnPolicy.MaxNewTokens);
        Assert.AreEqual(options.OnPolicyTemperature, plan.OnPolicy.Temperature);
        Assert.AreEqual(options.Device, plan.Device);
        Assert.AreEqual(options.LearningRate, plan.Optimization.LearningRate, 1e-9);
        Assert.AreEqual(options.CheckpointEverySteps, plan.Optimization.CheckpointEverySteps);
        Assert.IsNull(plan.Validation);
    }

    [TestMethod]
    public void AServedTeacherWithoutACacheFolderKeepsItsAnswersBesideTheCheckpoints()
    {
        var served = Served();
        served.TeacherCacheDirectory = null;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(served.Validate).Message, "or a CheckpointDirectory");
        served.CheckpointDirectory = Path.Combine("runs", "student.zip.checkpoint") + Path.DirectorySeparatorChar;
        served.Validate();
        Assert.AreEqual(Path.Combine("runs", "student.zip.checkpoint.teacher-cache"), served.ToPlan().Teacher.CacheDirectory);
        served.TeacherCacheDirectory = "mine";
        Assert.AreEqual("mine", served.ToPlan().Teacher.CacheDirectory, "a folder the user names wins");

        Assert.AreEqual(TeacherCacheEncoding.Compact, served.ToPlan().Teacher.CacheEncoding, "compact unless asked");
        served.TeacherCacheEncoding = TeacherCacheEncoding.Exact;
        Assert.AreEqual(TeacherCacheEncoding.Exact, served.ToPlan().Teacher.CacheEncoding);
        served.TeacherCacheEncoding = (TeacherCacheEncoding)7;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(served.Validate).Message, "Compact or Exact");

        var local = Local();
        local.CheckpointDirectory = "student.zip.checkpoint";
        Assert.IsNull(local.ToPlan().Teacher.CacheDirectory, "a local teacher runs online unless asked to cache");
    }

    [TestMethod]
    public void StepsForCountsBatchesPerEpochTimesEpochsCappedByMaxSteps()
    {
        var options = Local();
        options.BatchSize = 8;
        options.Epochs = 2;
        Assert.AreEqual(6, options.StepsFor(20), "20 rows: 3 batches (the last one short) per epoch");
        Assert.AreEqual(0, options.StepsFor(0));
        options.MaxSteps = 5;
        Assert.AreEqual(5, options.StepsFor(20));
        options.MaxSteps = 50;
        Assert.AreEqual(6, options.StepsFor(20), "a cap above the run's length changes nothing");
        options.BatchSize = 0;
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.StepsFor(20));
    }
}
