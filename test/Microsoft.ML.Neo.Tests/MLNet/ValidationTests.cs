using Microsoft.ML.Neo.Tests.Training;

namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>NeoDistillOptions.ValidationData, ValidationEverySteps and StopEarly.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ValidationTests
{
    private static NeoDistillOptions Options(DistillFixture fixture)
    {
        var options = fixture.Options();
        options.BatchSize = 2;
        return options;
    }

    [TestMethod]
    public void TheValidationLossIsMeasuredEveryNStepsAndAfterTheLastOnTheStudentAsItIsThen()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var held = TrainingRows.Make(4, seed: 9);
        var options = Options(fixture);
        options.ValidationData = ml.Data.LoadFromEnumerable(held);
        options.ValidationEverySteps = 2;
        var recorder = new ProgressRecorder();
        options.Progress = recorder;
        using var model = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(10)));

        Assert.AreEqual(5, recorder.Reports.Count);
        CollectionAssert.AreEqual(new[] { 2, 4, 5 }, recorder.Reports.Where(p => p.ValidationLoss is not null).Select(p => p.Step).ToArray(),
            "every 2 steps, and the last");
        double last = recorder.Reports[^1].ValidationLoss!.Value;
        Assert.AreEqual(model.MeanResponseLoss(held.Select(r => (r.Prompt, r.Response)).ToList()), last, 1e-6,
            "the last validation is the trained student's response loss on the rows");
        Assert.AreNotEqual(recorder.Reports[1].ValidationLoss!.Value, last, "the student changed between validations");
        StringAssert.Contains(recorder.Reports[^1].ToString(), "validation ");
    }

    [TestMethod]
    public void ValidatingDoesNotChangeWhatIsLearned()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(8));
        using var plain = ml.Transforms.NeoDistill(Options(fixture)).Fit(data);
        var validated = Options(fixture);
        validated.ValidationData = ml.Data.LoadFromEnumerable(TrainingRows.Make(3, seed: 9));
        validated.ValidationEverySteps = 1;
        using var withValidation = ml.Transforms.NeoDistill(validated).Fit(data);
        var a = CheckpointResumeTests.AllWeights(plain);
        var b = CheckpointResumeTests.AllWeights(withValidation);
        for (int i = 0; i < a.Length; i++) Assert.IsTrue(TensorAssert.Identical(a[i], b[i]), $"weight tensor {i} differs when validating");
    }

    [TestMethod]
    public void StopEarlyEndsTrainingAndKeepsWhatWasLearned()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = Options(fixture);
        options.StopEarly = step => step.Step == 3;
        using var model = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(12)));
        Assert.AreEqual(3, model.TrainingSummary!.Step);
        Assert.AreEqual(6, model.TrainingSummary.TotalSteps);
    }

    [TestMethod]
    public void ValidationDataWithoutTheColumnsIsNamedInTheError()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var options = Options(fixture);
        options.ValidationData = ml.Data.LoadFromEnumerable(new[] { new OtherRow() });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(4))));
        StringAssert.StartsWith(e.Message, "NeoDistillOptions.ValidationData: The input has no column 'Prompt'");
        options.ValidationData = null;
        options.ValidationEverySteps = -1;
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.NeoDistill(options));
    }

    private sealed class OtherRow
    {
        public string Text { get; set; } = "x";
    }
}
