using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Tests.MLNet;
using Microsoft.ML.Neo.Tests.Training;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers;

/// <summary>Self-distillation: the teacher is the student's own base, its adapters off for each teacher pass.</summary>
[TestClass]
public sealed class SelfDistillationTests
{
    private static List<ResponsePrimingTests.Row> Rows(int count) => ResponsePrimingTests.Rows(count);

    private static NeoDistillOptions SelfOptions(DistillFixture fixture)
    {
        var options = fixture.Options();
        options.Teacher = new SelfTeacher();
        return options;
    }

    [TestMethod]
    public void TheTeacherPassIsTheBaseModelAndTheAdaptersComeBackOn()
    {
        using var fixture = new DistillFixture();
        var folder = PretrainedFolder.Open(fixture.StudentPath, "student");
        using var student = folder.LoadModel();
        TrainableSet.Adapters(new LoraSettings { Rank = 4, Alpha = 8, TargetModules = new[] { "q_proj", "v_proj", "down_proj" } }).ApplyTo(student);
        using (no_grad())
            foreach (var (name, p) in student.named_parameters().Where(p => p.name.Contains("lora_B"))) p.normal_(0, 0.5); // adapters that change the output
        var encoder = new PromptResponseEncoder(EmbeddedTask.CreateTokenizer(), 128);
        var examples = Rows(3).Select(r => encoder.Encode(r.Prompt, r.Response)!).ToList();
        using var scope = NewDisposeScope();
        var batch = TokenBatch.Create(examples, padId: 2);
        int vocabulary = student.Config.VocabSize;

        Tensor StudentLogits() => student.Forward(batch.Inputs).reshape(-1, student.Config.VocabSize).index_select(0, batch.ResponseRows); // [M, V]
        Tensor before;
        using (no_grad()) before = StudentLogits();
        using var self = LocalTeacher.BaseOf(student, folder);
        var fromBase = self.Score(batch, vocabulary).All().Logits;                       // [M, V]
        using var separate = LocalTeacher.Load(fixture.StudentPath, CPU);
        var expected = separate.Score(batch, vocabulary).All().Logits;                   // the same files, loaded without adapters
        Assert.IsTrue(TensorAssert.Identical(expected, fromBase), "the teacher pass is the frozen base, bit for bit");
        Assert.IsTrue((before - fromBase).abs().max().item<float>() > 1e-2, "the adapters do change the student");
        using (no_grad()) Assert.IsTrue(TensorAssert.Identical(before, StudentLogits()), "the adapters are on again after the teacher pass");
        StringAssert.StartsWith(self.Fingerprint, "self:");
        self.Dispose();
        Assert.IsTrue(student.parameters().Any(p => p.requires_grad), "the student is neither frozen nor disposed by its teacher");
    }

    [TestMethod]
    public void WithoutContextTheFirstStepHasNothingToTeachAndWithTheAnswerItHas()
    {
        using var fixture = new DistillFixture(context: 512);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(8));
        var plain = SelfOptions(fixture);
        plain.MaxSteps = 1;
        using (var model = ml.Transforms.NeoDistill(plain).Fit(data))
            Assert.AreEqual(0, model.TrainingSummary!.Divergence, 1e-6, "an untrained student equals its base: the KD term is zero");

        var privileged = SelfOptions(fixture);
        privileged.MaxSteps = 1;
        privileged.Priming = PrimingStrategy.GroundTruthWithAnswer;
        privileged.AnswerColumnName = "Answer";
        using (var model = ml.Transforms.NeoDistill(privileged).Fit(data))
            Assert.IsTrue(model.TrainingSummary!.Divergence > 1e-3, $"the base shown the answer teaches: KD term {model.TrainingSummary.Divergence}");
    }

    [TestMethod]
    public void ASelfDistillationRunResumesBitExact()
    {
        using var fixture = new DistillFixture(context: 512);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(16)); // 4 steps of 4
        NeoDistillOptions Options()
        {
            var options = SelfOptions(fixture);
            options.Priming = PrimingStrategy.GroundTruthWithAnswer;
            options.AnswerColumnName = "Answer";
            return options;
        }
        CheckpointResumeTests.AssertResumesBitExact(Options, data, fixture.Sub("checkpoints"));
    }

    [TestMethod]
    public void SelfDistillationIsRefusedWithFullFineTuning()
    {
        // Another teacher beside the student's base can no longer be written: the teacher is one option.
        var options = new NeoDistillOptions { StudentModelPath = "student", Teacher = new SelfTeacher(), Finetuning = Finetuning.Full };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "set Teacher to a TeacherModel of the student's folder");
        options.Finetuning = Finetuning.Lora;
        options.Validate();
    }
}
