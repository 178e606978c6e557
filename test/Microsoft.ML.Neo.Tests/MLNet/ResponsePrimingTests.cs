using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Data.Synthetic;

namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>Response-priming options of NeoDistill: priming in logit and sequence modes, the teacher cache, bad input.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ResponsePrimingTests
{
    /// <summary>A training row with its reference answer, for priming that shows it to the teacher.</summary>
    internal sealed class Row
    {
        public string Prompt { get; set; } = "";
        public string Response { get; set; } = "";
        public string Answer { get; set; } = "";
    }

    internal static List<Row> Rows(int count) => ArithmeticWordProblems.Generate(count, seed: 11)
        .Select(p => new Row { Prompt = p.Prompt, Response = p.Solution, Answer = p.Answer.ToString() }).ToList();

    private static float[] AdapterWeights(NeoDistillTransformer model) => model.Student.Model.named_parameters()
        .Where(p => p.name.Contains("lora_B")).SelectMany(p => p.parameter.data<float>().ToArray()).ToArray();

    [TestMethod]
    public void PrimingChangesWhatTheTeacherTeaches()
    {
        using var fixture = new DistillFixture(context: 512);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(8));
        // One step each, so the reported losses are those of the same untrained student on the same batch.
        var noneOptions = fixture.Options();
        noneOptions.MaxSteps = 1;
        using var none = ml.Transforms.NeoDistill(noneOptions).Fit(data);
        var primedOptions = fixture.Options();
        primedOptions.MaxSteps = 1;
        primedOptions.Priming = PrimingStrategy.GroundTruthWithAnswer;
        primedOptions.AnswerColumnName = "Answer";
        using var primed = ml.Transforms.NeoDistill(primedOptions).Fit(data);
        Assert.AreEqual(none.TrainingSummary!.CrossEntropy, primed.TrainingSummary!.CrossEntropy, 1e-3,
            "the first step's student and references are the same; only the teacher's prompt differs");
        Assert.AreNotEqual(none.TrainingSummary.Divergence, primed.TrainingSummary.Divergence);
        CollectionAssert.AreNotEqual(AdapterWeights(none), AdapterWeights(primed));
    }

    [TestMethod]
    public void PrimedPromptsUseTheTeachersOwnContext()
    {
        // The student's context (128) is shorter than the primed prompts; the teacher's (512) is not.
        using var dir = new TempDirectory();
        TinyCheckpoints.Create(dir.Sub("teacher"), TinyCheckpoints.Config(hidden: 64, context: 512), 32);
        TinyCheckpoints.Create(dir.Sub("student"), TinyCheckpoints.Config(hidden: 32, tied: true, context: 128), 31);
        var ml = new MLContext(seed: 1);
        using var model = ml.Transforms.NeoDistill(new NeoDistillOptions
        {
            Teacher = new TeacherModel(dir.Sub("teacher")), StudentModelPath = dir.Sub("student"), Priming = PrimingStrategy.Teacher,
            LoraRank = 2, BatchSize = 4, MaxSteps = 1,
        }).Fit(ml.Data.LoadFromEnumerable(Rows(4)));
        Assert.IsTrue(model.TrainingSummary!.Divergence > 0);
    }

    [TestMethod]
    public void SequenceModeTrainsOnTeacherGenerationsAndCachesThem()
    {
        using var fixture = new DistillFixture(context: 512);
        var rows = Rows(6);
        var options = fixture.Options();
        options.Mode = DistillationMode.Sequence;
        options.Priming = PrimingStrategy.Teacher;
        options.TeacherMaxNewTokens = 12;
        options.TeacherCacheDirectory = fixture.Sub("cache");

        var logged = new List<string>();
        var ml = new MLContext(seed: 1);
        ml.Log += (_, e) => { lock (logged) logged.Add(e.Message); };
        var data = ml.Data.LoadFromEnumerable(rows);
        using var first = ml.Transforms.NeoDistill(options).Fit(data);
        string cacheFile = Path.Combine(fixture.Sub("cache"), TeacherGenerationCache.FileName);
        Assert.AreEqual(rows.Count, File.ReadAllLines(cacheFile).Length, "one generation per row, written as made");
        Assert.IsTrue(logged.Any(m => m.Contains("teacher generations: 6/6 (0 from the cache")), string.Join("\n", logged));

        logged.Clear();
        using var second = ml.Transforms.NeoDistill(options).Fit(data);
        Assert.IsTrue(logged.Any(m => m.Contains("teacher generations: 6/6 (6 from the cache")), string.Join("\n", logged));
        Assert.AreEqual(rows.Count, File.ReadAllLines(cacheFile).Length, "nothing recomputed");
        CollectionAssert.AreEqual(AdapterWeights(first), AdapterWeights(second), "cached generations give the same model");

        // Different priming: a different teacher prompt, so new generations.
        options.Priming = PrimingStrategy.Confidence;
        using var third = ml.Transforms.NeoDistill(options).Fit(data);
        Assert.AreEqual(2 * rows.Count, File.ReadAllLines(cacheFile).Length);
    }

    [TestMethod]
    public void CachedTeacherScoresReplaceTheTeacherOnTheSecondRun()
    {
        using var fixture = new DistillFixture(context: 512);
        var data = new MLContext(seed: 1).Data.LoadFromEnumerable(Rows(8));
        NeoDistillTransformer Fit(string? cache, List<string> logged, int topK = 1024)
        {
            var ml = new MLContext(seed: 1);
            ml.Log += (_, e) => { lock (logged) logged.Add(e.Message); };
            var options = fixture.Options();
            options.Priming = PrimingStrategy.Teacher;
            options.MaxSteps = 1;
            options.TeacherCacheDirectory = cache;
            options.TeacherScoreTopK = topK;
            return ml.Transforms.NeoDistill(options).Fit(data);
        }
        var first = new List<string>();
        var second = new List<string>();
        using var online = Fit(null, new List<string>());
        using var scored = Fit(fixture.Sub("cache"), first);
        using var reread = Fit(fixture.Sub("cache"), second);
        Assert.IsTrue(first.Any(m => m.Contains("teacher scores: 0/8 already in the cache")), string.Join("\n", first));
        Assert.IsTrue(second.Any(m => m.Contains("teacher scores: 8/8 already in the cache")), string.Join("\n", second));
        CollectionAssert.AreEqual(AdapterWeights(scored), AdapterWeights(reread), "the cache gives the same model");
        // Top-K with K above the vocabulary keeps every logit: the same loss as running the teacher online.
        Assert.AreEqual(online.TrainingSummary!.Divergence, scored.TrainingSummary!.Divergence, 1e-4 * Math.Max(1, online.TrainingSummary.Divergence));
    }

    [TestMethod]
    [DataRow(Divergence.ForwardKL)]
    [DataRow(Divergence.ReverseKL)]
    public void EveryDivergenceDistilsFromTheScoreCache(Divergence divergence)
    {
        using var fixture = new DistillFixture(context: 512);
        var data = new MLContext(seed: 1).Data.LoadFromEnumerable(Rows(8));
        NeoDistillTransformer Fit(string? cache)
        {
            var options = fixture.Options();
            options.Priming = PrimingStrategy.Teacher;
            options.Divergence = divergence;
            options.MaxSteps = 1;
            options.TeacherCacheDirectory = cache;
            options.TeacherScoreTopK = 1024;
            options.Validate(); // a cache no longer restricts the divergence
            return new MLContext(seed: 1).Transforms.NeoDistill(options).Fit(data);
        }
        using var online = Fit(null);
        using var cached = Fit(fixture.Sub("cache"));
        // K above the vocabulary: the cached support is the whole vocabulary, so the loss is the online one.
        Assert.AreEqual(online.TrainingSummary!.Divergence, cached.TrainingSummary!.Divergence, 1e-4 * Math.Max(1, online.TrainingSummary.Divergence));
        Assert.IsTrue(cached.TrainingSummary.Divergence > 0);
    }

    [TestMethod]
    public void CacheSurvivesALineCutShortAndRefusesForeignFiles()
    {
        using var dir = new TempDirectory();
        using (var cache = new TeacherGenerationCache(dir.Path))
        {
            cache.Add(TeacherGenerationCache.Key("t", new[] { 1, 2 }, 8, new[] { 2 }), new[] { 5, 6, 7 });
            cache.Add(TeacherGenerationCache.Key("t", new[] { 1, 3 }, 8, new[] { 2 }), new[] { 9 });
        }
        string file = Path.Combine(dir.Path, TeacherGenerationCache.FileName);
        File.AppendAllText(file, "{\"key\":\"abc"); // a write interrupted by a crash
        using (var cache = new TeacherGenerationCache(dir.Path))
        {
            Assert.AreEqual(2, cache.Count);
            Assert.IsTrue(cache.TryGet(TeacherGenerationCache.Key("t", new[] { 1, 2 }, 8, new[] { 2 }), out var ids));
            CollectionAssert.AreEqual(new[] { 5, 6, 7 }, ids);
            Assert.IsFalse(cache.TryGet(TeacherGenerationCache.Key("other teacher", new[] { 1, 2 }, 8, new[] { 2 }), out _));
            cache.Add(TeacherGenerationCache.Key("t", new[] { 4 }, 8, new[] { 2 }), Array.Empty<int>());
        }
        Assert.AreEqual(3, File.ReadAllLines(file).Length, "the partial line was dropped before appending");

        File.WriteAllText(file, "prompt,response\n");
        var e = Assert.ThrowsExactly<UnreadableFileException>(() => new TeacherGenerationCache(dir.Path));
        StringAssert.Contains(e.Message, "TeacherCacheDirectory");
    }

    [TestMethod]
    public void BadPrimingInputIsRefusedWithTheFix()
    {
        var options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", Priming = PrimingStrategy.GroundTruthWithAnswer };
        var e = Assert.ThrowsExactly<ArgumentException>(() => options.Validate());
        StringAssert.Contains(e.Message, "AnswerColumnName");

        options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", Priming = PrimingStrategy.Custom, PrimingTemplate = "Think step by step." };
        e = Assert.ThrowsExactly<ArgumentException>(() => options.Validate());
        StringAssert.Contains(e.Message, "{question}");

        options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", Priming = PrimingStrategy.Teacher, KdWeight = 0 };
        e = Assert.ThrowsExactly<ArgumentException>(() => options.Validate());
        StringAssert.Contains(e.Message, "Mode = Sequence");

        using var fixture = new DistillFixture(context: 512);
        var ml = new MLContext(seed: 1);
        var withoutAnswers = ml.Data.LoadFromEnumerable(TrainingRows.Make(4));
        var primed = fixture.Options();
        primed.Priming = PrimingStrategy.GroundTruthWithAnswer;
        primed.AnswerColumnName = "Answer";
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.NeoDistill(primed).Fit(withoutAnswers));
        StringAssert.Contains(missing.Message, "'Answer'");
        StringAssert.Contains(missing.Message, "AnswerColumnName");
    }
}
