using Microsoft.ML.Neo.Tests.Training;

namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>NeoDistillOptions.EarlyStoppingPatience and KeepBestWeights through Fit (the trainer's decisions on a
/// scripted validation curve are in Training/BestValidationTests).</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class EarlyStoppingTests
{
    [TestMethod]
    public void KeepBestWeightsReportsTheBestValidatedStepAndTheModelIsThatStep()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = fixture.Options();
        options.BatchSize = 2;
        var held = TrainingRows.Make(4, seed: 9);
        options.ValidationData = ml.Data.LoadFromEnumerable(held);
        options.ValidationEverySteps = 1;
        options.KeepBestWeights = true;
        options.EarlyStoppingPatience = 100; // wired, never reached in 8 steps
        var recorder = new ProgressRecorder();
        options.Progress = recorder;
        using var model = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(16)));

        var losses = recorder.Reports.Select(r => r.ValidationLoss!.Value).ToList();
        Assert.AreEqual(8, losses.Count, "every step validated, none stopped");
        int bestStep = recorder.Reports[losses.IndexOf(losses.Min())].Step;
        Assert.AreEqual(bestStep, model.TrainingSummary!.BestValidationStep);
        Assert.AreEqual(losses.Min(), model.TrainingSummary.BestValidationLoss!.Value, 1e-12);
        Assert.AreEqual(losses.Min(), model.MeanResponseLoss(held.Select(r => (r.Prompt, r.Response)).ToList()), 1e-5,
            "the finished student is the best step's");
    }

    [TestMethod]
    public void AnswerAccuracyIsMeasuredAtValidationsAsTheFinishedModelAnswers()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = fixture.Options(maxNewTokens: 12);
        options.BatchSize = 2;
        // References with final numbers; the tiny student will get few or none right, which the comparison still checks.
        var held = TrainingRows.Make(6, seed: 9);
        options.ValidationData = ml.Data.LoadFromEnumerable(held);
        options.ValidationEverySteps = 2;
        options.ValidateAnswerAccuracy = true;
        var recorder = new ProgressRecorder();
        options.Progress = recorder;
        using var model = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(8)));

        CollectionAssert.AreEqual(recorder.Reports.Select(r => r.ValidationLoss is not null).ToArray(),
            recorder.Reports.Select(r => r.ValidationAccuracy is not null).ToArray(), "accuracy on exactly the validated steps");
        var completions = model.Complete(held.Select(r => r.Prompt).ToList());
        double expected = held.Zip(completions).Count(p => Microsoft.ML.Neo.Evaluation.AnswerExtractor.Extract(p.Second) == Microsoft.ML.Neo.Evaluation.AnswerExtractor.Extract(p.First.Response)) / (double)held.Count;
        Assert.AreEqual(expected, recorder.Reports[^1].ValidationAccuracy!.Value, 1e-12, "the last validation is the finished model's accuracy");
        StringAssert.Contains(recorder.Reports[^1].ToString(), "accuracy ");

        var refused = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", ValidateAnswerAccuracy = true };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(refused.Validate).Message, "set ValidationData");
    }

    [TestMethod]
    public void PatienceOrKeepBestWithoutValidationDataIsRefused()
    {
        var options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", EarlyStoppingPatience = 3 };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "set ValidationData");
        options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", KeepBestWeights = true };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "NeoDistillOptions.KeepBestWeights");
    }
}
