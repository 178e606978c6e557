using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation.OnPolicy;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Tests.MLNet;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.OnPolicy;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class OnPolicyBatchesTests
{
    private static readonly int[] Stops = { 2 };

    private static (OnPolicyBatches Source, List<EncodedExample> Examples, DecoderForCausalLM Student) Make(float fraction, bool primed = false, int seed = 3)
    {
        manual_seed(1);
        var student = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 32));
        var encoder = new PromptResponseEncoder(EmbeddedTask.CreateTokenizer(), 128);
        var examples = ArithmeticWordProblems.Generate(8, 1)
            .Select(p => encoder.Encode(p.Prompt, p.Solution, primed ? "Think first. " + p.Prompt : null)!).ToList();
        var source = new OnPolicyBatches(new ShuffledExampleBatches(examples, 4, seed), new OnPolicySettings(fraction, 1.5f, 6), encoder, Stops, seed);
        return (source, examples, student);
    }

    [TestMethod]
    public void OnPolicyStepsKeepThePromptsAndTrainOnTheStudentsOwnSamples()
    {
        var (source, _, student) = Make(fraction: 1, primed: true);
        using var _ = student;
        var planned = source.Epoch(1).First();
        var realised = source.Realize(planned, student, step: 0, new StepPhases());
        Assert.AreEqual(planned.Count, realised.Count);
        for (int i = 0; i < planned.Count; i++)
        {
            var (before, after) = (planned[i], realised[i]);
            Assert.IsTrue(after.StudentGenerated);
            CollectionAssert.AreEqual(before.TokenIds[..before.ResponseStart], after.TokenIds[..after.ResponseStart], "the student's prompt is kept");
            CollectionAssert.AreEqual(before.TeacherTokenIds![..before.TeacherResponseStart], after.TeacherTokenIds![..after.TeacherResponseStart],
                "the teacher's primed prompt is kept");
            CollectionAssert.AreEqual(after.TokenIds[after.ResponseStart..], after.TeacherTokenIds[after.TeacherResponseStart..], "both read the sample");
            Assert.IsTrue(after.ResponseTokenCount is >= 1 and <= 7, "at most 6 sampled tokens, plus EOS when a stop id ended the sample");
            CollectionAssert.AreNotEqual(before.TokenIds, after.TokenIds, "an untrained student does not write the reference");
        }
        // The same step samples the same tokens again (what a resumed run relies on); another step samples others.
        var again = source.Realize(planned, student, step: 0, new StepPhases());
        Assert.IsTrue(realised.Zip(again).All(p => p.First.TokenIds.SequenceEqual(p.Second.TokenIds)));
        var other = source.Realize(planned, student, step: 1, new StepPhases());
        Assert.IsFalse(realised.Zip(other).All(p => p.First.TokenIds.SequenceEqual(p.Second.TokenIds)));
    }

    [TestMethod]
    public void TheShareOfOnPolicyStepsIsLambdaAndFollowsTheSeed()
    {
        var (half, _, student) = Make(fraction: 0.3f);
        student.Dispose();
        int count = Enumerable.Range(0, 2000).Count(half.IsOnPolicy);
        Assert.AreEqual(600, count, 60, "about 30 % of 2,000 steps");
        var (same, _, s2) = Make(fraction: 0.3f);
        var (otherSeed, _, s3) = Make(fraction: 0.3f, seed: 4);
        s2.Dispose();
        s3.Dispose();
        var steps = Enumerable.Range(0, 200).ToArray();
        CollectionAssert.AreEqual(steps.Select(half.IsOnPolicy).ToArray(), steps.Select(same.IsOnPolicy).ToArray());
        CollectionAssert.AreNotEqual(steps.Select(half.IsOnPolicy).ToArray(), steps.Select(otherSeed.IsOnPolicy).ToArray());

        var (off, examples, s4) = Make(fraction: 0);
        using var _ = s4;
        var planned = off.Epoch(1).First();
        Assert.AreSame(planned, off.Realize(planned, s4, 0, new StepPhases()), "λ = 0 trains on the data as planned");
    }

    [TestMethod]
    public void OnPolicyStepsTrainOnTheDivergenceAlone()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = fixture.Options();
        options.OnPolicyFraction = 1;
        options.OnPolicyMaxNewTokens = 6;
        var recorder = new ProgressRecorder();
        options.Progress = recorder;
        using var model = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(8)));
        Assert.AreEqual(2, recorder.Reports.Count);
        foreach (var step in recorder.Reports)
        {
            Assert.IsTrue(step.Divergence > 0);
            Assert.AreEqual(step.Divergence, step.Loss, 1e-5, "the loss is T²·D alone, not (1 − w)·CE + w·T²·D");
            Assert.IsTrue(step.Phases![TrainingPhase.StudentGeneration] > 0, "sampling time is reported");
        }

        // The same run without on-policy steps mixes in cross-entropy on the references.
        options.OnPolicyFraction = 0;
        recorder = new ProgressRecorder();
        options.Progress = recorder;
        using var offPolicy = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(8)));
        Assert.IsTrue(recorder.Reports.All(r => Math.Abs(r.Loss - (0.5 * r.CrossEntropy + 0.5 * r.Divergence)) < 1e-4));
        Assert.IsTrue(recorder.Reports.All(r => r.Phases![TrainingPhase.StudentGeneration] == 0));
    }

    [TestMethod]
    public void WorksWithACachedTeacherThatKeepsTheSamplesScores()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = fixture.Options();
        options.OnPolicyMaxNewTokens = 6;
        options.TeacherCacheDirectory = fixture.Sub("cache");
        options.TeacherScoreTopK = 16;
        options.Divergence = Neo.Divergence.JensenShannon;
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(8));
        long CacheBytes() => new DirectoryInfo(options.TeacherCacheDirectory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        using (ml.Transforms.NeoDistill(options).Fit(data)) { }
        long references = CacheBytes();

        // On-policy, the teacher behind the cache stays alive to score the samples, and the cache keeps them too.
        options.OnPolicyFraction = 1;
        var recorder = new ProgressRecorder();
        options.Progress = recorder;
        using (ml.Transforms.NeoDistill(options).Fit(data)) { }
        Assert.IsTrue(recorder.Reports.All(r => r.Divergence > 0 && Math.Abs(r.Loss - r.Divergence) < 1e-5));
        long withSamples = CacheBytes();
        Assert.IsTrue(withSamples > references, "the samples' scores were added to the cache");

        // The same seed samples the same sequences, which the cache already holds.
        using (ml.Transforms.NeoDistill(options).Fit(data)) { }
        Assert.AreEqual(withSamples, CacheBytes());
    }

    [TestMethod]
    public void OptionsNameWhatIsWrong()
    {
        var options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", OnPolicyFraction = 0.5f, KdWeight = 0 };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "KdWeight");
        options.KdWeight = 0.5f;
        options.OnPolicyFraction = 1.5f;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate).Message, "OnPolicyFraction must be in [0, 1]");
        options.OnPolicyFraction = 1;
        options.OnPolicyTemperature = 0;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate).Message, "OnPolicyTemperature");
        options.OnPolicyTemperature = 1;
        options.Divergence = Neo.Divergence.SkewedReverseKL;
        options.SkewAlpha = 0;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate).Message, "SkewAlpha must be in (0, 1)");
        options.SkewAlpha = 0.1f;
        options.JsdBeta = -0.1f;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate).Message, "JsdBeta");
        options.JsdBeta = 0.5f;
        options.Validate();
    }
}
