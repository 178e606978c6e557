using Microsoft.ML.Neo.Tests.MLNet;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Training;

/// <summary>The learning-rate schedule, gradient clipping and AdamW's settings as options: each does what it documents.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class OptimizationOptionsTests
{
    private static (List<TrainingProgress> Steps, Tensor[] Weights) Fit(DistillFixture fixture, Action<NeoDistillOptions> set)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(32)); // 8 steps of 4
        var options = fixture.Options();
        var recorder = new ProgressRecorder();
        options.Progress = recorder;
        set(options);
        using var model = ml.Transforms.NeoDistill(options).Fit(data);
        return (recorder.Reports.ToList(), CheckpointResumeTests.AllWeights(model));
    }

    [TestMethod]
    public void EachScheduleGivesTheLearningRatesItDocuments()
    {
        using var fixture = new DistillFixture();
        const double peak = 1e-2f; // the fixture's LearningRate, a float
        double[] Rates(LearningRateSchedule schedule, double warmup) =>
            Fit(fixture, o => { o.Schedule = schedule; o.WarmupFraction = warmup; }).Steps.Select(s => s.LearningRate).ToArray();

        var constant = Rates(LearningRateSchedule.Constant, 0.25);
        CollectionAssert.AreEqual(new[] { peak / 2, peak, peak, peak, peak, peak, peak, peak }, constant, "two warm-up steps, then the peak");

        var linear = Rates(LearningRateSchedule.Linear, 0);
        for (int k = 0; k < 8; k++) Assert.AreEqual(peak * (8 - k) / 8, linear[k], 1e-12, $"linear, step {k + 1}");

        var cosine = Rates(LearningRateSchedule.Cosine, 0);
        Assert.AreEqual(peak, cosine[0], 1e-12);
        Assert.AreEqual(0.1 * peak, cosine[^1], 1e-12, "down to 10 % of the peak at the last step");
        for (int k = 1; k < 8; k++) Assert.IsTrue(cosine[k] < cosine[k - 1], "falling");
    }

    [TestMethod]
    public void ClippingAndAdamSettingsChangeTheRunOnlyWhenTheyShould()
    {
        using var fixture = new DistillFixture();
        var unclipped = Fit(fixture, o => o.MaxGradientNorm = double.PositiveInfinity);
        var neverReached = Fit(fixture, o => o.MaxGradientNorm = 1e9);
        var clipped = Fit(fixture, o => o.MaxGradientNorm = 1e-4);
        var noMomentum = Fit(fixture, o => o.AdamBeta1 = 0);

        Assert.IsTrue(unclipped.Steps.All(s => s.GradientNorm > 1e-4 && double.IsFinite(s.GradientNorm)), "the norm is measured without clipping too");
        Assert.AreEqual(unclipped.Steps[0].GradientNorm, clipped.Steps[0].GradientNorm, 1e-9, "reported before clipping");
        Assert.IsTrue(Same(unclipped.Weights, neverReached.Weights), "a bound never reached clips nothing");
        Assert.IsFalse(Same(unclipped.Weights, clipped.Weights), "clipping to 1e-4 changes the run");
        Assert.IsFalse(Same(unclipped.Weights, noMomentum.Weights), "beta1 = 0 changes the run");
    }

    private static bool Same(Tensor[] a, Tensor[] b) => a.Length == b.Length && a.Zip(b).All(p => TensorAssert.Identical(p.First, p.Second));

    [TestMethod]
    public void OutOfRangeSettingsAreRefusedNamingTheOption()
    {
        foreach (var (set, name) in new (Action<NeoDistillOptions>, string)[]
        {
            (o => o.WarmupFraction = 1.5, nameof(NeoDistillOptions.WarmupFraction)),
            (o => o.MaxGradientNorm = 0, nameof(NeoDistillOptions.MaxGradientNorm)),
            (o => o.AdamBeta1 = 1, nameof(NeoDistillOptions.AdamBeta1)),
            (o => o.AdamBeta2 = -0.1, nameof(NeoDistillOptions.AdamBeta2)),
            (o => o.AdamEpsilon = 0, nameof(NeoDistillOptions.AdamEpsilon)),
            (o => o.Schedule = (LearningRateSchedule)7, nameof(NeoDistillOptions.Schedule)),
        })
        {
            var options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s" };
            set(options);
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate).Message, "NeoDistillOptions." + name);
        }
    }
}
