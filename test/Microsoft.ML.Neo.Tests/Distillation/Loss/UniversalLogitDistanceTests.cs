using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.Teachers;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.Loss;

/// <summary>The universal logit distance and the cross-tokenizer parts of the one loss path, against hand-computed values.</summary>
[TestClass]
public sealed class UniversalLogitDistanceTests
{
    [TestMethod]
    public void TheDistanceComparesSortedProbabilitiesWhateverTheIds()
    {
        // Student over 4 tokens: probabilities 0.5, 0.25, 0.125, 0.125 (in a shuffled order of ids).
        var student = tensor(new[] { (float)Math.Log(0.125), (float)Math.Log(0.5), (float)Math.Log(0.125), (float)Math.Log(0.25) }, new long[] { 1, 4 });
        // Teacher's top 3 (of a larger vocabulary): probabilities proportional to 0.6, 0.3, 0.1 once renormalised.
        var teacher = tensor(new[] { (float)Math.Log(0.1), (float)Math.Log(0.6), (float)Math.Log(0.3) }, new long[] { 1, 3 });
        // Sorted: teacher 0.6, 0.3, 0.1; student's top 3: 0.5, 0.25, 0.125. |0.1| + |0.05| + |0.025| = 0.175.
        Assert.AreEqual(0.175f, UniversalLogitDistance.PerPosition(student, teacher).item<float>(), 1e-6f);
        // Relabelling the teacher's ids changes nothing; equal sorted shapes give 0.
        Assert.AreEqual(0f, UniversalLogitDistance.PerPosition(tensor(new[] { 2f, 0f, 1f }, new long[] { 1, 3 }), tensor(new[] { 1f, 2f, 0f }, new long[] { 1, 3 })).item<float>(), 1e-6f);
    }

    [TestMethod]
    public void EmptyEntriesAddNothingAndUldRowsTakeTheDistanceTimesItsWeight()
    {
        manual_seed(4);
        var studentLogits = randn(3, 6);                                      // [M, V]
        var targets = tensor(new long[] { 1, 2, 3 });
        var teacherLogits = randn(3, 4);                                      // [M, K]
        var ids = tensor(new long[] { 0, 2, 4, 5, 1, 3, 5, 0, 2, 4, 1, 3 }, new long[] { 3, 4 });
        var settings = new LossSettings(1f, 2f, Divergence.ForwardKL);

        // Entries with no student counterpart (id V, logit EmptyLogit) leave the divergence as if they were not there.
        var withEmpty = new TeacherTargets(cat(new[] { teacherLogits, full(3, 2, TeacherTargets.EmptyLogit) }, 1),
            cat(new[] { ids, full(3, 2, TeacherTargets.EmptyId(6), dtype: ScalarType.Int64) }, 1)) { HasEmptyEntries = true };
        var plain = DistillationLoss.Compute(studentLogits, targets, new TeacherTargets(teacherLogits, ids), settings).Divergence.item<float>();
        Assert.AreEqual(plain, DistillationLoss.Compute(studentLogits, targets, withEmpty, settings).Divergence.item<float>(), 1e-5f);

        // Row 1 is scored by ULD with weight 0.5; rows 0 and 2 keep the divergence.
        var hybrid = new TeacherTargets(teacherLogits, ids) { UldRows = tensor(new[] { false, true, false }) };
        var weighted = settings with { UldWeight = 0.5f };
        float t = settings.Temperature;
        var perRow = new float[3];
        for (int row = 0; row < 3; row++)
            perRow[row] = DistillationLoss.Compute(studentLogits.narrow(0, row, 1), targets.narrow(0, row, 1),
                new TeacherTargets(teacherLogits.narrow(0, row, 1), ids.narrow(0, row, 1)), settings).Divergence.item<float>();
        float uld = UniversalLogitDistance.PerPosition(studentLogits.narrow(0, 1, 1) / t, teacherLogits.narrow(0, 1, 1) / t).item<float>();
        float expected = (perRow[0] + 0.5f * t * t * uld + perRow[2]) / 3;
        Assert.AreEqual(expected, DistillationLoss.Compute(studentLogits, targets, hybrid, weighted).Divergence.item<float>(), 1e-5f);
    }
}
