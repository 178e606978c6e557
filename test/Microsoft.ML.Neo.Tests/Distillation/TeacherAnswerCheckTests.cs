using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Tests.MLNet;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation;

/// <summary>Answer-verified sequence KD: teacher responses whose answer disagrees with the reference are dropped or down-weighted.</summary>
[TestClass]
public sealed class TeacherAnswerCheckTests
{
    [TestMethod]
    public void HandMadeResponsesAreKeptDroppedOrWeightedByTheirAnswer()
    {
        var row = new TrainingRow("Question: 40 + 2?\nAnswer:", "40+2=42.\n#### 42");
        var drop = new TeacherAnswerCheck(mismatchedWeight: 0);
        Assert.AreEqual(1f, drop.WeightOf(row, "We add 40 and 2 to get 42.\n#### 42"));
        Assert.AreEqual(1f, drop.WeightOf(row, "The answer is 42."), "the evaluator's rules read the answer");
        Assert.IsNull(drop.WeightOf(row, "40+2=43.\n#### 43"));
        Assert.IsNull(drop.WeightOf(row, "I do not know."), "no answer where the reference gives one disagrees");
        // An answer column wins over the reference response; a reference without any number is not checked.
        Assert.IsNull(drop.WeightOf(row with { Answer = "41" }, "#### 42"));
        Assert.AreEqual(1f, drop.WeightOf(new TrainingRow("Say hi.", "Hello there."), "#### 7"));
        Assert.AreEqual((2, 3, 1), (drop.Agreed, drop.Disagreed, drop.Unverifiable));
        Assert.AreEqual("teacher answers checked: 2 agree with the reference, 3 disagree (dropped), 1 kept unchecked (the reference gives no answer).", drop.Summary());

        var weigh = new TeacherAnswerCheck(mismatchedWeight: 0.25f);
        Assert.AreEqual(0.25f, weigh.WeightOf(row, "#### 41"));
        StringAssert.Contains(weigh.Summary(), "1 disagree (weighted 0.25)");
    }

    [TestMethod]
    public void RowWeightsScaleEachPositionsTermsOverTheSameDenominator()
    {
        manual_seed(5);
        using var logits = randn(3, 10);
        using var teacherLogits = randn(3, 10);
        using var targets = tensor(new long[] { 1, 4, 7 });
        using var weights = tensor(new[] { 1f, 0f, 0.5f });
        var settings = new LossSettings(KdWeight: 0.5f, Temperature: 2f, Divergence: Divergence.ForwardKL);
        var teacher = new Microsoft.ML.Neo.Distillation.Teachers.TeacherTargets(teacherLogits, null);
        var weighted = DistillationLoss.Compute(logits, targets, teacher, settings, rowWeights: weights);
        // By hand: each row alone (a chunk of 1 over a denominator of 3), weighted and summed.
        double ce = 0, kd = 0;
        float[] w = { 1f, 0f, 0.5f };
        for (int row = 0; row < 3; row++)
        {
            var one = DistillationLoss.Compute(logits.narrow(0, row, 1), targets.narrow(0, row, 1),
                new Microsoft.ML.Neo.Distillation.Teachers.TeacherTargets(teacherLogits.narrow(0, row, 1), null), settings, responseRows: 3);
            ce += w[row] * one.CrossEntropy.item<float>();
            kd += w[row] * one.Divergence.item<float>();
        }
        Assert.AreEqual(ce, weighted.CrossEntropy.item<float>(), 1e-5);
        Assert.AreEqual(kd, weighted.Divergence.item<float>(), 1e-5);
    }

    private sealed class Row
    {
        public string Prompt { get; set; } = "";
        public string Response { get; set; } = "";
        public string Answer { get; set; } = "";
    }

    [TestMethod]
    public void AVerifiedRunCountsDropsAndWeighsTheTeachersResponses()
    {
        using var fixture = new DistillFixture();
        var rows = TrainingRows.Make(8).Select(r => new Row { Prompt = r.Prompt, Response = r.Response }).ToList();
        // The reference answers: the random teacher's own answer on half of the rows, one it never gives on the rest.
        using (var teacher = CausalLM.FromPretrained(fixture.TeacherPath))
        {
            var written = teacher.Generate(rows.Select(r => r.Prompt).ToList(), new GenerationOptions { MaxNewTokens = 32 });
            for (int i = 0; i < rows.Count; i++)
                rows[i].Answer = i % 2 == 0 && Microsoft.ML.Neo.Evaluation.AnswerExtractor.Extract(written[i]) is { } said ? said.ToString() : "987654";
        }
        int agreeing = rows.Count(r => r.Answer != "987654");
        Assert.IsTrue(agreeing > 0, "the random teacher writes some numbers");

        List<TrainingProgress> Run(List<Row> data, bool verify, float mismatchedWeight, List<string> log)
        {
            var ml = new MLContext(seed: 1);
            ml.Log += (_, e) => { if (e.RawMessage.StartsWith("teacher answers", StringComparison.Ordinal)) log.Add(e.RawMessage); };
            var options = fixture.Options();
            options.Mode = DistillationMode.Sequence;
            options.KdWeight = 0;
            options.TeacherMaxNewTokens = 32;
            options.AnswerColumnName = "Answer";
            options.VerifyTeacherAnswers = verify;
            options.MismatchedAnswerWeight = mismatchedWeight;
            options.BatchSize = 8;
            var recorder = new ProgressRecorder();
            options.Progress = recorder;
            using (ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(data))) { }
            return recorder.Reports;
        }
        var log = new List<string>();
        Run(rows, verify: true, mismatchedWeight: 0, log);
        Assert.AreEqual($"teacher answers checked: {agreeing} agree with the reference, {rows.Count - agreeing} disagree (dropped).", log.Single());

        // When every answer disagrees, weight 0.5 halves the loss of the unchecked run's step, response for response.
        var disagreeing = rows.Select(r => new Row { Prompt = r.Prompt, Response = r.Response, Answer = "987654" }).ToList();
        log.Clear();
        var halved = Run(disagreeing, verify: true, mismatchedWeight: 0.5f, log);
        StringAssert.Contains(log.Single(), $"{rows.Count} disagree (weighted 0.5)");
        var whole = Run(disagreeing, verify: false, mismatchedWeight: 0, new List<string>());
        Assert.AreEqual(whole[0].CrossEntropy * 0.5, halved[0].CrossEntropy, 1e-5 * whole[0].CrossEntropy);

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => Run(disagreeing, verify: true, mismatchedWeight: 0, new List<string>()));
        StringAssert.Contains(error.Message, "MismatchedAnswerWeight");
    }

    [TestMethod]
    public void VerificationNeedsSequenceModeAndAWeightInRange()
    {
        var options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", VerifyTeacherAnswers = true };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "Mode = Sequence");
        options.Mode = DistillationMode.Sequence;
        options.KdWeight = 0;
        options.Validate();
        options.MismatchedAnswerWeight = 2;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate).Message, "between 0 and 1");
        options.MismatchedAnswerWeight = 0.5f;
        options.VerifyTeacherAnswers = false;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "VerifyTeacherAnswers = true");
    }
}
