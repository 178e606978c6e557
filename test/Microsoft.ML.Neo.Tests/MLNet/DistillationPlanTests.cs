namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>NeoDistillOptions.ToPlan: the one place where options become a run, defaults resolved.</summary>
[TestClass]
public sealed class DistillationPlanTests
{
    private static NeoDistillOptions Local() => new() { Teacher = new TeacherModel("teacher"), StudentModelPath = "student" };

    private static NeoDistillOptions Served() => new()
    {
        StudentModelPath = "student", TeacherCacheDirectory = "cache",
        Teacher = new TeacherEndpoint { Url = "http://localhost:8000", Model = "teacher" },
    };

    [TestMethod]
    public void AnAutomaticTopKIsTheTeacherKindsOwnAndTheSameWithOrWithoutACache()
    {
        Assert.AreEqual(0, new NeoDistillOptions().TeacherScoreTopK, "automatic by default");
        Assert.AreEqual(0, Local().ToPlan().Teacher!.Settings.ScoreTopK, "a local teacher: its whole distribution");
        var cached = Local();
        cached.TeacherCacheDirectory = "cache";
        Assert.AreEqual(0, cached.ToPlan().Teacher!.Settings.ScoreTopK, "a cache folder does not change what is learned");
        Assert.AreEqual(int.MaxValue, cached.ToPlan().Teacher!.Settings.CacheTopK, "the cache keeps every id");
        var bridged = Local();
        bridged.CrossTokenizer = CrossTokenizerLoss.Hybrid;
        Assert.AreEqual(NeoDistillOptions.CrossTokenizerTopK, bridged.ToPlan().Teacher!.Settings.ScoreTopK);
        Assert.AreEqual(20, Served().ToPlan().Teacher!.Settings.ScoreTopK, "what vLLM allows without --max-logprobs");
        var mixture = new NeoDistillOptions { StudentModelPath = "student", Teacher = new TeacherMixture { Members = { new() { Name = "a", ModelPath = "t" } } } };
        Assert.AreEqual(TeacherMixture.DefaultMixtureTopK, mixture.ToPlan().Teacher!.Settings.ScoreTopK);
        Assert.AreEqual(0, new NeoDistillOptions { StudentModelPath = "student", Teacher = new TeacherLogits("x.parquet"), TeacherCacheDirectory = "c" }
            .ToPlan().Teacher!.Settings.ScoreTopK, "the dataset's own K, read when it opens");
        var chosen = Served();
        chosen.TeacherScoreTopK = 7;
        Assert.AreEqual(7, chosen.ToPlan().Teacher!.Settings.ScoreTopK);
        var sft = Local();
        sft.KdWeight = 0;
        Assert.IsFalse(sft.ToPlan().NeedsTeacher, "KdWeight 0 in Logits mode asks no teacher");
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
        Assert.AreEqual(Path.Combine("runs", "student.zip.checkpoint.teacher-cache"), served.ToPlan().Teacher!.Settings.CacheDirectory);
        served.TeacherCacheDirectory = "mine";
        Assert.AreEqual("mine", served.ToPlan().Teacher!.Settings.CacheDirectory, "a folder the user names wins");

        Assert.AreEqual(TeacherCacheEncoding.Exact, served.ToPlan().Teacher!.Settings.CacheEncoding, "exact unless asked: a cache never changes the objective");
        served.TeacherCacheEncoding = TeacherCacheEncoding.Compact;
        Assert.AreEqual(TeacherCacheEncoding.Compact, served.ToPlan().Teacher!.Settings.CacheEncoding);
        served.TeacherCacheEncoding = (TeacherCacheEncoding)7;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(served.Validate).Message, "Compact or Exact");

        var local = Local();
        local.CheckpointDirectory = "student.zip.checkpoint";
        Assert.IsNull(local.ToPlan().Teacher!.Settings.CacheDirectory, "a local teacher runs online unless asked to cache");
        local.TeacherCacheEncoding = TeacherCacheEncoding.Compact;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(local.Validate).Message, "this run has no cache");
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
