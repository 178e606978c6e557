using System.Collections;
using System.Reflection;

namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>ML.NET's own channels back from Fit: MLContext.CancelExecution, and the host's progress channel.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class HostSignalsTests
{
    [TestMethod]
    public void CancelExecutionStopsFitBetweenStepsAndKeepsACheckpoint()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = fixture.Options();
        options.BatchSize = 2;
        options.CheckpointDirectory = fixture.Sub("checkpoints");
        options.CheckpointEverySteps = 100;
        var steps = new List<int>();
        options.Progress = new ProgressCallback<TrainingProgress>(step =>
        {
            steps.Add(step.Step);
            if (step.Step == 2) MLNetInternals.CancelExecution(ml);
        });
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(12));

        Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.NeoDistill(options).Fit(data));
        CollectionAssert.AreEqual(new[] { 1, 2 }, steps, "the step under way finishes; the next one does not start");
        Assert.IsTrue(NeoCheckpoints.CanResume(options.CheckpointDirectory), "the two steps done are kept for a rerun");
        NeoCheckpoints.Delete(options.CheckpointDirectory);
        Assert.IsFalse(NeoCheckpoints.CanResume(options.CheckpointDirectory));
        Assert.IsFalse(Directory.Exists(options.CheckpointDirectory));
    }

    [TestMethod]
    public void AContextCancelledBeforeFitRefusesToStart()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        MLNetInternals.CancelExecution(ml);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(4));
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.NeoDistill(fixture.Options()).Fit(data));
    }

    [TestMethod]
    public void TrainingStepsReachTheHostsProgressChannel()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = fixture.Options();
        options.BatchSize = 2;
        var recorder = new ProgressRecorder();
        options.Progress = recorder;
        using var model = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(6)));

        var checkpoints = ProgressEvents(ml).Where(e => e.Channel == "NeoDistill training" && e.Kind == "Checkpoint").ToList();
        Assert.AreEqual(3, recorder.Reports.Count);
        Assert.AreEqual(3, checkpoints.Count, "one checkpoint per step");
        for (int i = 0; i < 3; i++)
        {
            var (metrics, progress, limits) = checkpoints[i].Values;
            Assert.AreEqual(recorder.Reports[i].Loss, metrics[0]!.Value, 1e-12, "loss");
            Assert.AreEqual(recorder.Reports[i].CrossEntropy, metrics[1]!.Value, 1e-12, "cross-entropy");
            Assert.AreEqual(i + 1, progress[0]!.Value, "steps done");
            Assert.AreEqual(3, limits[0]!.Value, "steps in the run");
        }
    }

    // What ML.NET's environment recorded on its progress channels. The tracker is internal to Microsoft.ML.Core, and
    // MLContext shows it to nothing public, so it is read by reflection: the test checks what a listener would get.
    private static List<(string Channel, string Kind, (double?[] Metrics, double?[] Progress, double?[] Limits) Values)> ProgressEvents(MLContext ml)
    {
        const BindingFlags Any = BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance;
        object environment = typeof(MLContext).GetField("_env", Any)!.GetValue(ml)!;
        object tracker = environment.GetType().BaseType!.GetField("ProgressTracker", Any)!.GetValue(environment)!;
        var events = (IEnumerable)tracker.GetType().GetMethod("GetAllProgress", Any)!.Invoke(tracker, null)!;
        var result = new List<(string, string, (double?[], double?[], double?[]))>();
        foreach (var e in events)
        {
            object? Field(object o, string name) => o.GetType().GetField(name, Any)!.GetValue(o);
            if (Field(e, "ProgressEntry") is not { } entry || !(bool)Field(entry, "IsCheckpoint")!) continue;
            result.Add(((string)Field(e, "Name")!, "Checkpoint",
                ((double?[])Field(entry, "Metrics")!, (double?[])Field(entry, "Progress")!, (double?[])Field(entry, "ProgressLim")!)));
        }
        return result;
    }
}
