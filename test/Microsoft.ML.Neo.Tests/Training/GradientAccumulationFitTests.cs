using Microsoft.ML.Neo.Tests.MLNet;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Training;

/// <summary>Gradient accumulation through the public API: the same steps as the whole batch, and a resume may change the micro-batch.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class GradientAccumulationFitTests
{
    [TestMethod]
    public void AFitInMicroBatchesTakesTheStepsOfTheWholeBatch()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(32));
        (List<TrainingProgress> Steps, Tensor[] Weights) Fit(int microBatch)
        {
            var options = fixture.Options();
            options.BatchSize = 16;
            options.MicroBatchSize = microBatch;
            var recorder = new ProgressRecorder();
            options.Progress = recorder;
            using var model = ml.Transforms.NeoDistill(options).Fit(data);
            return (recorder.Reports.ToList(), CheckpointResumeTests.AllWeights(model));
        }

        var whole = Fit(0);
        var accumulated = Fit(2);
        Assert.AreEqual(2, whole.Steps.Count, "32 rows in steps of 16");
        CollectionAssert.AreEqual(whole.Steps.Select(s => s.Step).ToArray(), accumulated.Steps.Select(s => s.Step).ToArray(), "progress counts optimizer steps");
        for (int i = 0; i < whole.Steps.Count; i++)
            Assert.AreEqual(whole.Steps[i].Loss, accumulated.Steps[i].Loss, 1e-5 * whole.Steps[i].Loss, $"step {i + 1} loss");
        for (int i = 0; i < whole.Weights.Length; i++)
        {
            double scale = Math.Max(whole.Weights[i].abs().max().item<float>(), 1e-12);
            double error = (whole.Weights[i] - accumulated.Weights[i]).abs().max().item<float>() / scale;
            Assert.IsTrue(error <= 1e-4, $"weight {i}: relative difference {error:E2} after two steps");
        }
    }

    [TestMethod]
    public void ARunMayResumeWithAnotherMicroBatch()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(16)); // 4 steps of 4
        string checkpoints = fixture.Sub("checkpoints");
        var first = fixture.Options();
        first.CheckpointDirectory = checkpoints;
        first.CheckpointEverySteps = 2;
        first.Progress = new CheckpointResumeTests.CrashAt(3);
        Assert.ThrowsExactly<IOException>(() => ml.Transforms.NeoDistill(first).Fit(data));

        var resumed = fixture.Options();
        resumed.CheckpointDirectory = checkpoints;
        resumed.MicroBatchSize = 1; // as after running out of memory
        var recorder = new ProgressRecorder();
        resumed.Progress = recorder;
        using var model = ml.Transforms.NeoDistill(resumed).Fit(data);
        CollectionAssert.AreEqual(new[] { 3, 4 }, recorder.Reports.Select(r => r.Step).ToArray(), "continued after step 2's checkpoint");
    }
}
