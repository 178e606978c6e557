using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Training;

/// <summary>A Fit that dies part-way resumes from its checkpoint and ends with exactly the weights of an unbroken run.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class CheckpointResumeTests
{
    internal sealed class CrashAt(int step) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Step == step) throw new IOException($"simulated crash at step {step}");
        }
    }

    /// <summary>
    /// Fits <paramref name="options"/> on 16 rows (4 steps of 4) unbroken, then again with a crash at step 3 and a
    /// resume from the step-2 checkpoint, and asserts that steps 3 and 4 take the unbroken run's losses bit for bit.
    /// </summary>
    internal static void AssertResumesBitExact(Func<NeoDistillOptions> options, IDataView sixteenRows, string checkpoints)
    {
        var ml = new MLContext(seed: 1);
        var whole = options();
        var wholeRecorder = new ProgressRecorder();
        whole.Progress = wholeRecorder;
        using (ml.Transforms.NeoDistill(whole).Fit(sixteenRows)) { }

        var first = options();
        first.CheckpointDirectory = checkpoints;
        first.CheckpointEverySteps = 2;
        first.Progress = new CrashAt(3);
        Assert.ThrowsExactly<IOException>(() => ml.Transforms.NeoDistill(first).Fit(sixteenRows));
        var resumed = options();
        resumed.CheckpointDirectory = checkpoints;
        var recorder = new ProgressRecorder();
        resumed.Progress = recorder;
        using (ml.Transforms.NeoDistill(resumed).Fit(sixteenRows)) { }
        CollectionAssert.AreEqual(new[] { 3, 4 }, recorder.Reports.Select(r => r.Step).ToArray(), "continued after step 2's checkpoint");
        CollectionAssert.AreEqual(wholeRecorder.Reports.Skip(2).Select(r => r.Loss).ToArray(), recorder.Reports.Select(r => r.Loss).ToArray(),
            "steps 3 and 4 after the resume are the uninterrupted run's, bit for bit");
    }

    internal static NeoDistillOptions Options(Microsoft.ML.Neo.Tests.MLNet.DistillFixture fixture, string? checkpoints)
    {
        var options = fixture.Options();
        options.Epochs = 2;
        options.LoraDropout = 0.1f;          // exercises the random state too
        options.CheckpointDirectory = checkpoints;
        options.CheckpointEverySteps = 2;
        return options;
    }

    private static Tensor[] Adapters(NeoDistillTransformer model) =>
        LoraInjector.AdapterParameters(model.Student.Model).Select(p => p.Parameter.detach().clone()).ToArray();

    internal static Tensor[] AllWeights(NeoDistillTransformer model) =>
        model.Student.Model.parameters().Select(p => p.detach().clone()).ToArray();

    [TestMethod]
    [DataRow(0f, Finetuning.Lora)]
    [DataRow(0.5f, Finetuning.Lora)] // on-policy steps sample from the restored student exactly as the unbroken run did
    [DataRow(0f, Finetuning.Full)]
    public void ResumedRunEqualsAnUnbrokenRun(float onPolicy, Finetuning finetuning)
    {
        using var fixture = new Microsoft.ML.Neo.Tests.MLNet.DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(12)); // 3 steps per epoch, 6 in all
        NeoDistillOptions Options(string? checkpoints)
        {
            var options = CheckpointResumeTests.Options(fixture, checkpoints);
            options.OnPolicyFraction = onPolicy;
            options.OnPolicyMaxNewTokens = 6;
            options.Finetuning = finetuning;
            return options;
        }

        Tensor[] unbroken;
        using (var model = ml.Transforms.NeoDistill(Options(null)).Fit(data)) unbroken = AllWeights(model);

        string checkpoints = fixture.Sub("checkpoints");
        var crashing = Options(checkpoints);
        crashing.Progress = new CrashAt(5);
        var crash = Assert.ThrowsExactly<IOException>(() => ml.Transforms.NeoDistill(crashing).Fit(data));
        StringAssert.Contains(crash.Message, "step 5");
        Assert.IsTrue(File.Exists(Path.Combine(checkpoints, "trainer_state.json")), "the step-4 checkpoint survived");

        var recorder = new ProgressRecorder();
        var resuming = Options(checkpoints);
        resuming.Progress = recorder;
        using var resumed = ml.Transforms.NeoDistill(resuming).Fit(data);
        CollectionAssert.AreEqual(new[] { 5, 6 }, recorder.Reports.Select(r => r.Step).ToArray(), "only the steps after the checkpoint run again");
        var weights = AllWeights(resumed);
        Assert.AreEqual(unbroken.Length, weights.Length);
        for (int i = 0; i < weights.Length; i++)
            Assert.IsTrue(TensorAssert.Identical(unbroken[i], weights[i]), $"weight tensor {i} differs after resuming");
    }

    private sealed class CancelAt(int step, CancellationTokenSource source) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Step == step) source.Cancel();
        }
    }

    [TestMethod]
    public void CancelledRunSavesItsStepsAndResumesToTheSameWeights()
    {
        using var fixture = new Microsoft.ML.Neo.Tests.MLNet.DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(12)); // 6 steps in all; checkpoints every 2

        Tensor[] unbroken;
        using (var model = ml.Transforms.NeoDistill(Options(fixture, null)).Fit(data)) unbroken = Adapters(model);

        string checkpoints = fixture.Sub("checkpoints");
        using var source = new CancellationTokenSource();
        var cancelled = Options(fixture, checkpoints);
        cancelled.Cancellation = source.Token;
        cancelled.Progress = new CancelAt(3, source); // between two scheduled checkpoints (2 and 4)
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.NeoDistill(cancelled).Fit(data));

        var recorder = new ProgressRecorder();
        var resuming = Options(fixture, checkpoints);
        resuming.Progress = recorder;
        using var resumed = ml.Transforms.NeoDistill(resuming).Fit(data);
        CollectionAssert.AreEqual(new[] { 4, 5, 6 }, recorder.Reports.Select(r => r.Step).ToArray(), "step 3 was saved when the run was cancelled");
        var weights = Adapters(resumed);
        for (int i = 0; i < weights.Length; i++)
            Assert.IsTrue(TensorAssert.Identical(unbroken[i], weights[i]), $"adapter tensor {i} differs after resuming");
    }

    [TestMethod]
    public void CheckpointOfAnotherRunIsRefused()
    {
        using var fixture = new Microsoft.ML.Neo.Tests.MLNet.DistillFixture();
        var ml = new MLContext(seed: 1);
        string checkpoints = fixture.Sub("checkpoints");
        using (ml.Transforms.NeoDistill(Options(fixture, checkpoints)).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(8)))) { }
        var other = Options(fixture, checkpoints);
        other.LearningRate = 1e-3f;
        var error = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.Transforms.NeoDistill(other).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(8))));
        StringAssert.Contains(error.Message, "different run");
    }
}
