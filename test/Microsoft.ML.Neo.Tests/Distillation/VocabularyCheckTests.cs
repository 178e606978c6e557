using static TorchSharp.torch;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Tests.Distillation.Loss;

namespace Microsoft.ML.Neo.Tests.Distillation;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class VocabularyCheckTests
{
    [TestMethod]
    public void PaddedTeacherVocabularyDistilsOverTheSharedIds()
    {
        using var folder = new TempDirectory();
        int vocab = TinyCheckpoints.TokenizerSize;
        TinyCheckpoints.Create(folder.Sub("teacher"), TinyCheckpoints.Config(hidden: 64, vocab: vocab + 16), seed: 70);
        TinyCheckpoints.Create(folder.Sub("student"), TinyCheckpoints.Config(vocab: vocab), seed: 71);
        var ml = new MLContext(seed: 1);
        var options = new NeoDistillOptions
        {
            Teacher = new TeacherModel(folder.Sub("teacher")), StudentModelPath = folder.Sub("student"),
            LoraRank = 2, BatchSize = 4, KdWeight = 0.5f, MaxNewTokens = 4,
        };
        using var model = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(4)));
        Assert.IsTrue(model.TrainingSummary!.Divergence > 0);

        // The student being the larger one is refused.
        options.Teacher = new TeacherModel(folder.Sub("student"));
        options.StudentModelPath = folder.Sub("teacher");
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(4))));
        StringAssert.Contains(error.Message, "smaller than the student's");
    }

    [TestMethod]
    public void LossIgnoresTheTeachersPaddedIds()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var student = randn(1, 3, 5);
        var teacher = randn(1, 3, 5);
        var padded = cat(new[] { teacher, full(new long[] { 1, 3, 2 }, 50f) }, dim: -1); // huge logits on ids 5 and 6
        var labels = tensor(new long[] { 1, 2, 3 }, new long[] { 1, 3 });
        var exact = LossOnPositions.Compute(student, teacher, labels, 1, 1, Divergence.ForwardKL).Divergence.item<float>();
        var withPadding = LossOnPositions.Compute(student, padded, labels, 1, 1, Divergence.ForwardKL).Divergence.item<float>();
        Assert.AreEqual(exact, withPadding, 1e-6);
    }
}
