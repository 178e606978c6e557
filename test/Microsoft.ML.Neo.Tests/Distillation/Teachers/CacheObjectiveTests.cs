using Microsoft.ML.Neo.Tests.MLNet;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers;

/// <summary>
/// A cache folder changes where the teacher's answers are kept, never what is learned: the same options with and
/// without <see cref="NeoDistillOptions.TeacherCacheDirectory"/> train on the same targets, step by step, and
/// <see cref="NeoDistillOptions.TeacherScoreTopK"/> applies the same way online and cached.
/// </summary>
[TestClass]
public sealed class CacheObjectiveTests
{
    private const double Relative = 1e-6;

    private static void AssertSameSteps(List<TrainingProgress> expected, List<TrainingProgress> actual, string what)
    {
        Assert.AreEqual(expected.Count, actual.Count, what);
        for (int step = 0; step < expected.Count; step++)
        {
            foreach (var (name, e, a) in new[]
                     {
                         ("loss", expected[step].Loss, actual[step].Loss),
                         ("KD", expected[step].Divergence, actual[step].Divergence),
                         ("CE", expected[step].CrossEntropy, actual[step].CrossEntropy),
                     })
                Assert.AreEqual(e, a, Relative * Math.Abs(e), $"{what}: step {step + 1} {name}");
        }
    }

    // Self-distillation primes the teacher with the answer, so its targets differ from the student's own.
    [TestMethod]
    [DataRow("model", 0)]
    [DataRow("model", 20)]
    [DataRow("self", 0)]
    public void TheSameOptionsWithAndWithoutACacheGiveTheSameLossAtEveryStep(string kind, int topK)
    {
        using var fixture = new DistillFixture();
        NeoDistillOptions Options()
        {
            var options = fixture.Options();
            options.TeacherScoreTopK = topK;
            if (kind == "self")
            {
                options.Teacher = new SelfTeacher();
                options.Priming = PrimingStrategy.Custom;
                options.PrimingTemplate = "Think carefully. {question}";
            }
            return options;
        }
        var online = TrainingRows.FitSteps(Options(), rows: 24);
        var cachedOptions = Options();
        cachedOptions.TeacherCacheDirectory = fixture.Sub($"cache-{kind}-{topK}");
        var cached = TrainingRows.FitSteps(cachedOptions, rows: 24);
        AssertSameSteps(online, cached, $"{kind}, top-K {topK}: cached against online");
        // A second run reads the cache the first one filled, and still learns the same.
        AssertSameSteps(online, TrainingRows.FitSteps(cachedOptions, rows: 24), $"{kind}, top-K {topK}: from a filled cache");
        Assert.IsTrue(online.Count == 6 && online.All(p => p.Divergence > 0), "six steps, each training on the KD term");
    }

    [TestMethod]
    public void TopKAppliesOnlineAsItDoesCached()
    {
        using var fixture = new DistillFixture();
        var full = TrainingRows.FitSteps(fixture.Options());
        var topK = fixture.Options();
        topK.TeacherScoreTopK = 4;
        var cut = TrainingRows.FitSteps(topK);
        // The first step's KD term is taken before any update: over 4 ids it must differ from the whole distribution's.
        Assert.AreNotEqual(full[0].Divergence, cut[0].Divergence, Relative * full[0].Divergence, "top-K is not ignored online");
        Assert.AreEqual(full[0].CrossEntropy, cut[0].CrossEntropy, Relative * full[0].CrossEntropy, "the same student before the first update");
    }

    [TestMethod]
    public void TopKIsRefusedWhereNoLogitIsRead()
    {
        using var fixture = new DistillFixture();
        using var teacher = CausalLM.FromPretrained(fixture.TeacherPath);
        var options = fixture.Options();
        options.Teacher = new TeacherChatClient(teacher.AsIChatClient());
        options.Mode = DistillationMode.Sequence;
        options.KdWeight = 0;
        options.TeacherCacheDirectory = fixture.Sub("cache");
        options.TeacherScoreTopK = 8;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "gives none");
        options.TeacherScoreTopK = 0;
        options.Validate();
    }
}
