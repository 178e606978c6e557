using Microsoft.ML.Neo.Tests.MLNet;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Training;

/// <summary>
/// Training checkpoints are verified against their checksums before anything is loaded; a damaged latest checkpoint
/// falls back to the previous one (kept on purpose), and a save that died between its two renames loses nothing.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class CheckpointIntegrityTests
{
    // The same run as CheckpointResumeTests: 2 epochs of 3 steps, LoRA dropout, a checkpoint every 2 steps.
    private static NeoDistillOptions Options(DistillFixture fixture, string? checkpoints) => CheckpointResumeTests.Options(fixture, checkpoints);

    private static Tensor[] Weights(NeoDistillTransformer model) => CheckpointResumeTests.AllWeights(model);

    // Runs 6 steps unbroken, then the same run with checkpoints, stopped at step 5: the folder then holds step 4 and
    // its ".previous" step 2.
    private static (Tensor[] Unbroken, string Checkpoints) CrashAfterStep4(DistillFixture fixture, MLContext ml, IDataView data)
    {
        Tensor[] unbroken;
        using (var model = ml.Transforms.NeoDistill(Options(fixture, null)).Fit(data)) unbroken = Weights(model);
        string checkpoints = fixture.Sub("checkpoints");
        var crashing = Options(fixture, checkpoints);
        crashing.Progress = new CheckpointResumeTests.CrashAt(5);
        Assert.ThrowsExactly<IOException>(() => ml.Transforms.NeoDistill(crashing).Fit(data));
        Assert.IsTrue(File.Exists(Path.Combine(checkpoints, "checksums.json")));
        Assert.IsTrue(File.Exists(Path.Combine(checkpoints + ".previous", "checksums.json")), "the previous checkpoint is kept");
        return (unbroken, checkpoints);
    }

    private static (int[] Steps, Tensor[] Weights) Resume(DistillFixture fixture, MLContext ml, IDataView data, string checkpoints)
    {
        var recorder = new ProgressRecorder();
        var resuming = Options(fixture, checkpoints);
        resuming.Progress = recorder;
        using var resumed = ml.Transforms.NeoDistill(resuming).Fit(data);
        return (recorder.Reports.Select(r => r.Step).ToArray(), Weights(resumed));
    }

    private static void AssertIdentical(Tensor[] expected, Tensor[] actual)
    {
        Assert.AreEqual(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
            Assert.IsTrue(TensorAssert.Identical(expected[i], actual[i]), $"weight tensor {i} differs after resuming");
    }

    private static void FlipByte(string path, long fromEnd)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length - fromEnd] ^= 0x40;
        File.WriteAllBytes(path, bytes);
    }

    [TestMethod]
    public void DamagedLatestCheckpointFallsBackToThePreviousOne()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(12));
        var (unbroken, checkpoints) = CrashAfterStep4(fixture, ml, data);
        FlipByte(Path.Combine(checkpoints, "trainable.safetensors"), fromEnd: 3); // one bit in the last adapter weight

        var warnings = BadInputTests.Warnings(ml);
        var (steps, weights) = Resume(fixture, ml, data, checkpoints);
        CollectionAssert.AreEqual(new[] { 3, 4, 5, 6 }, steps, "the run continued after the step-2 checkpoint");
        AssertIdentical(unbroken, weights);
        var warning = warnings.Single(w => w.Contains("SHA-256"));
        StringAssert.Contains(warning, Path.Combine(checkpoints, "trainable.safetensors"));
        StringAssert.Contains(warning, "older checkpoint");
        StringAssert.Contains(warning, "step 2");
    }

    [TestMethod]
    public void SaveThatDiedBetweenItsRenamesLosesNothing()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(12));
        var (unbroken, checkpoints) = CrashAfterStep4(fixture, ml, data);
        // What the disk holds if the process died inside the save of step 4, after the old folder was renamed to
        // ".previous" and before the finished ".writing" took its place.
        Directory.Move(checkpoints, checkpoints + ".writing");

        var (steps, weights) = Resume(fixture, ml, data, checkpoints);
        CollectionAssert.AreEqual(new[] { 5, 6 }, steps, "the finished step-4 checkpoint was used");
        AssertIdentical(unbroken, weights);
    }

    [TestMethod]
    public void UnreadableCheckpointsNameTheFileAndTheFix()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(12));
        var (_, checkpoints) = CrashAfterStep4(fixture, ml, data);
        FlipByte(Path.Combine(checkpoints, "optimizer.safetensors"), fromEnd: 1);
        File.WriteAllText(Path.Combine(checkpoints + ".previous", "checksums.json"), "{ not json");

        var error = Assert.ThrowsExactly<UnreadableFileException>(() => ml.Transforms.NeoDistill(Options(fixture, checkpoints)).Fit(data));
        StringAssert.Contains(error.Message, "optimizer.safetensors");
        StringAssert.Contains(error.Message, "checksums.json");
        StringAssert.Contains(error.Message, "not valid JSON");
        StringAssert.Contains(error.Message, "Delete the checkpoint folder");
    }
}
