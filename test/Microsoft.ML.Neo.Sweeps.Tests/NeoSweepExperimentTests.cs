using Microsoft.ML.Neo.Sweeps;
using Microsoft.ML.Neo.Tests.MLNet;

namespace Microsoft.ML.Neo.Tests.Sweeps;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class NeoSweepExperimentTests
{
    /// <summary>Proposes the given points in order (a test stand-in for a tuner).</summary>
    private sealed class SequenceTuner(params double[][] points) : ISweepTuner
    {
        public string Name => "sequence";

        public double[]? Propose(IReadOnlyList<SearchRange> dimensions, IReadOnlyList<TunerObservation> history) =>
            history.Count < points.Length ? points[history.Count] : null;
    }

    private static NeoSearchSpace Space() => new()
    {
        LoraRank = SearchRange.Int(2, 8, logScale: true), Temperature = SearchRange.Float(1, 4, logScale: true),
        KdWeight = SearchRange.Float(0, 1), LearningRate = SearchRange.Float(1e-4, 3e-2, logScale: true),
    };

    private static NeoSweepExperiment Experiment(MLContext ml, DistillFixture fixture, int trainRows = 8)
    {
        var options = fixture.Options();
        options.BatchSize = 2;
        return ml.CreateNeoSweepExperiment(options)
            .SetDataset(ml.Data.LoadFromEnumerable(TrainingRows.Make(trainRows, seed: 5)), ml.Data.LoadFromEnumerable(TrainingRows.Make(4, seed: 6)))
            .SetSearchSpace(Space());
    }

    [TestMethod]
    public void SameSeedGivesTheSameTrialsAndTheBestModelIsReturned()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        using var first = Experiment(ml, fixture).SetTuner(new RandomTuner(3)).SetMaxTrials(3).Run();
        using var second = Experiment(ml, fixture).SetTuner(new RandomTuner(3)).SetMaxTrials(3).Run();
        Assert.AreEqual(3, first.Trials.Count);
        CollectionAssert.AreEqual(first.Trials.Select(t => t.Parameters).ToList(), second.Trials.Select(t => t.Parameters).ToList());
        CollectionAssert.AreEqual(first.Trials.Select(t => t.Metric).ToList(), second.Trials.Select(t => t.Metric).ToList());
        Assert.AreEqual(first.Trials.Min(t => t.Metric), first.BestTrial.Metric, "validation loss is minimised");
        Assert.AreEqual(first.BestTrial.Parameters.LoraRank, first.BestModel.Settings.LoraRank);
        StringAssert.Contains(first.ToTable(), "(best)");
        string plot = fixture.Sub("sweep.png");
        first.SavePlot(plot);
        var bytes = File.ReadAllBytes(plot);
        CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        Assert.IsTrue(bytes.Length > 10_000, "three drawn panels, not an empty image");
        if (Environment.GetEnvironmentVariable("NEO_KEEP_PLOT") is string keep) File.Copy(plot, keep, overwrite: true);
    }

    [TestMethod]
    public void CancelExecutionEndsTheSweepInsteadOfSkippingToTheNextTrial()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        string log = fixture.Sub("trials.jsonl");
        var experiment = Experiment(ml, fixture).SetTuner(new RandomTuner(3)).SetMaxTrials(3).SetTrialLog(log)
            .SetProgress(new ProgressCallback<SweepProgress>(p => { if (p.TrialIndex == 2 && p.Finished is null) MLNetInternals.CancelExecution(ml); }));
        Assert.ThrowsExactly<OperationCanceledException>(() => experiment.Run());
        Assert.AreEqual(1, File.ReadLines(log).Count(line => line.Contains("\"trial\"")), "trial 1 finished and is logged; trial 2 is not");
    }

    [TestMethod]
    public void AnInterruptedSweepResumesFromItsLogWithoutRepeatingTrials()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        string log = fixture.Sub("trials.jsonl");
        using (var unbroken = Experiment(ml, fixture).SetTuner(new RandomTuner(4)).SetMaxTrials(4).Run())
        {
            using (Experiment(ml, fixture).SetTuner(new RandomTuner(4)).SetMaxTrials(2).SetTrialLog(log).Run()) { }
            Assert.AreEqual(3, File.ReadAllLines(log).Length, "a header and two trials");
            File.AppendAllText(log, "{\"trial\": 3, \"stat"); // a line cut short when the process died
            using var resumed = Experiment(ml, fixture).SetTuner(new RandomTuner(4)).SetMaxTrials(4).SetTrialLog(log).Run();
            CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, resumed.Trials.Select(t => t.Index).ToArray());
            CollectionAssert.AreEqual(unbroken.Trials.Select(t => t.Parameters).ToList(), resumed.Trials.Select(t => t.Parameters).ToList(),
                "the resumed sweep proposes what the unbroken one did");
            for (int i = 0; i < 4; i++) Assert.AreEqual(unbroken.Trials[i].Metric!.Value, resumed.Trials[i].Metric!.Value, 1e-6);
        }
        var other = Experiment(ml, fixture).SetMetric(SweepMetric.Perplexity).SetTrialLog(log);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => other.Run());
        StringAssert.Contains(e.Message, "different sweep");
        File.WriteAllText(log, "{\"prompt\": \"not a log\"\n");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Experiment(ml, fixture).SetTrialLog(log).Run()).Message, "is not a trial log");
    }

    [TestMethod]
    public void TeacherWeightsAreDimensionsKeptInTheLog()
    {
        using var fixture = new DistillFixture();
        string other = TinyCheckpoints.Create(fixture.Sub("other"), TinyCheckpoints.Config(hidden: 64), seed: 77);
        var ml = new MLContext(seed: 1);
        var options = fixture.Options();
        options.BatchSize = 2;
        options.TeacherScoreTopK = 16;
        options.Teacher = new TeacherMixture { Members = { new() { Name = "main", ModelPath = fixture.TeacherPath }, new() { Name = "other", ModelPath = other } } };
        var space = Space();
        space.TeacherWeights["other"] = SearchRange.Float(0.1, 10, logScale: true);
        NeoSweepExperiment Make() => ml.CreateNeoSweepExperiment(options)
            .SetDataset(ml.Data.LoadFromEnumerable(TrainingRows.Make(8, seed: 5)), ml.Data.LoadFromEnumerable(TrainingRows.Make(4, seed: 6)))
            .SetSearchSpace(space).SetTuner(new RandomTuner(2)).SetMaxTrials(2);
        string log = fixture.Sub("trials.jsonl");
        using var first = Make().SetTrialLog(log).Run();
        var weights = first.Trials.Select(t => t.Parameters.TeacherWeights!["other"]).ToList();
        Assert.IsTrue(weights.All(w => w is >= 0.1 and <= 10) && weights[0] != weights[1], $"searched weights {string.Join(", ", weights)}");
        Assert.AreEqual((float)weights[0], ((TeacherMixture)first.Trials[0].Parameters.ApplyTo(options).Teacher!).Members[1].Weight);
        StringAssert.Contains(File.ReadAllLines(log)[1], "\"teacher_weights\":{\"other\":");
        using var again = Make().SetTrialLog(log).Run(); // every trial read back from the log
        CollectionAssert.AreEqual(first.Trials.Select(t => t.Parameters).ToList(), again.Trials.Select(t => t.Parameters).ToList());

        space.TeacherWeights["nobody"] = SearchRange.Fixed(1);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Make().Run()).Message, "'nobody'");
    }

    [TestMethod]
    public void BudgetsAreEnforced()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        using (var capped = Experiment(ml, fixture).SetTuner(new RandomTuner(1)).SetMaxTrials(2).Run())
            Assert.AreEqual(2, capped.Trials.Count);

        string log = fixture.Sub("budget.jsonl");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            Experiment(ml, fixture, trainRows: 800).SetTuner(new RandomTuner(1)).SetMaxTrials(5).SetTrainingTime(TimeSpan.FromMilliseconds(300)).SetTrialLog(log).Run());
        StringAssert.Contains(e.Message, "No trial finished");
        StringAssert.Contains(File.ReadAllLines(log)[1], "Cancelled", "the trial cut by the budget is logged as cancelled");
        Assert.AreEqual(2, File.ReadAllLines(log).Length, "no trial started after the budget ended");
    }

    [TestMethod]
    public void MedianRuleStopsATrialWorseThanEarlierOnes()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        // Trial 1 learns fast (largest learning rate); trial 2 barely moves (smallest), so at the first checkpoint its
        // validation loss is above the median of the trials before it.
        var good = new[] { 0.5, 0.0, 0.0, 1.0 };
        var slow = new[] { 0.5, 0.0, 0.0, 0.0 };
        using var result = Experiment(ml, fixture, trainRows: 16).SetTuner(new SequenceTuner(good, slow))
            .SetEarlyStopping(checkpoints: 4, minimumTrials: 1).SetMaxTrials(2).Run();
        Assert.AreEqual(TrialStatus.Completed, result.Trials[0].Status);
        Assert.AreEqual(TrialStatus.StoppedEarly, result.Trials[1].Status, result.ToTable());
        Assert.AreEqual(3, result.Trials[0].Curve!.Count, "checkpoints at steps 2, 4 and 6 of 8");
        Assert.AreEqual(1, result.Trials[1].Curve!.Count, "stopped at its first checkpoint");
    }

    [TestMethod]
    public void TrialsWithTheSamePrimingShareTheTeacherCacheAndCategoricalTrialsResumeFromTheLog()
    {
        using var fixture = new DistillFixture(context: 512);
        var options = fixture.Options();
        options.BatchSize = 4;
        options.MaxSteps = 1;
        options.TeacherCacheDirectory = fixture.Sub("cache");
        options.TeacherScoreTopK = 16;
        var space = new NeoSearchSpace
        {
            LoraRank = SearchRange.Fixed(4), Temperature = SearchRange.Fixed(2), KdWeight = SearchRange.Fixed(0.5),
            LearningRate = SearchRange.Float(1e-3, 1e-2, logScale: true),
            Primings = new[] { PrimingChoice.Of(PrimingStrategy.Teacher), PrimingChoice.Of(PrimingStrategy.Confidence) },
        };
        var logged = new List<string>();
        var ml = new MLContext(seed: 1);
        ml.Log += (_, e) => { if (e.Message.Contains("already in the cache", StringComparison.Ordinal)) lock (logged) logged.Add(e.Message); };
        string log = fixture.Sub("trials.jsonl");
        NeoSweepExperiment Make(int trials) => ml.CreateNeoSweepExperiment(options)
            .SetDataset(ml.Data.LoadFromEnumerable(TrainingRows.Make(8, seed: 5)), ml.Data.LoadFromEnumerable(TrainingRows.Make(4, seed: 6)))
            .SetSearchSpace(space).SetTuner(new GridTuner(2)).SetMaxTrials(trials).SetTrialLog(log);

        using (var firstTwo = Make(2).Run())
        {
            CollectionAssert.AreEqual(new[] { PrimingStrategy.Teacher, PrimingStrategy.Confidence },
                firstTwo.Trials.Select(t => t.Parameters.Priming!.Strategy).ToArray(), "the grid visits each priming");
            Assert.IsTrue(logged.All(m => m.Contains("0/8 already in the cache", StringComparison.Ordinal)) && logged.Count > 0, string.Join("\n", logged));
        }
        logged.Clear();
        using var all = Make(4).Run();
        Assert.AreEqual(4, all.Trials.Count);
        CollectionAssert.AreEqual(new[] { PrimingStrategy.Teacher, PrimingStrategy.Confidence, PrimingStrategy.Teacher, PrimingStrategy.Confidence },
            all.Trials.Select(t => t.Parameters.Priming!.Strategy).ToArray(), "the resumed sweep read the primings back from its log");
        Assert.AreNotEqual(all.Trials[0].Parameters.LearningRate, all.Trials[2].Parameters.LearningRate);
        // Trials 3 and 4 repeat trials 1 and 2's teacher settings at another learning rate: the teacher is not run again.
        Assert.IsTrue(logged.Count > 0 && logged.All(m => m.Contains("8/8 already in the cache", StringComparison.Ordinal)), string.Join("\n", logged));
        StringAssert.Contains(all.ToTable(), "| Primings |");
        StringAssert.Contains(all.ToTable(), "| Confidence |");

        // Another list of primings is another sweep.
        space.Primings = new[] { PrimingChoice.Of(PrimingStrategy.Teacher), PrimingChoice.Custom("Solve: {question}") };
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Make(4).Run()).Message, "different sweep");
    }

    [TestMethod]
    public void AFailingConfigurationIsNotProposedAgain()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var space = Space();
        // PiSSA needs a rank no larger than the smallest adapted layer (32 here): rank 64 fails, rank 4 trains.
        space.LoraRank = SearchRange.Int(4, 64, logScale: true);
        space.AdapterKinds = new[] { AdapterKind.Pissa };
        space.Temperature = SearchRange.Fixed(2);
        space.KdWeight = SearchRange.Fixed(0.5);
        space.LearningRate = SearchRange.Fixed(1e-3);
        using var result = Experiment(ml, fixture).SetSearchSpace(space).SetTuner(new SequenceTuner(new[] { 1.0, 0, 0, 0, 0 }, new[] { 0.0, 0, 0, 0, 0 }))
            .SetMaxTrials(2).Run();
        Assert.AreEqual(TrialStatus.Failed, result.Trials[0].Status);
        StringAssert.Contains(result.Trials[0].Message, "LoraRank");
        Assert.AreEqual(TrialStatus.Completed, result.Trials[1].Status);
    }
}
