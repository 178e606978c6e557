using Microsoft.ML.Neo.Distillation;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.Loss;

/// <summary>Compares the loss with values computed by hand (in double precision) on 2 sequences × 3 positions × 4 ids.</summary>
[TestClass]
public sealed class DistillationLossTests
{
    private static readonly float[] Student =
    {
        1.0f, 0.5f, -0.2f, 0.0f,   2.0f, -1.0f, 0.3f, 0.1f,   0.0f, 0.0f, 0.0f, 0.0f,
        -0.5f, 1.5f, 0.2f, 0.7f,   0.9f, 0.9f, -2.0f, 1.0f,  3.0f, 0.1f, -0.1f, 0.4f,
    };

    private static readonly float[] Teacher =
    {
        0.2f, 1.5f, 0.1f, -0.3f,   1.0f, 0.0f, 1.0f, -1.0f,  0.5f, -0.5f, 2.0f, 0.0f,
        -1.0f, 2.0f, 0.0f, 0.0f,   0.0f, 1.2f, -1.0f, 0.3f,  1.0f, 1.0f, 1.0f, 1.0f,
    };

    private static readonly long[] Labels = { 1, 0, -100, 3, -100, 2 };

    private static double[] Row(float[] values, int position) =>
        values.Skip(position * 4).Take(4).Select(v => (double)v).ToArray();

    private static double[] LogSoftmax(double[] logits, double t)
    {
        var scaled = logits.Select(v => v / t).ToArray();
        double max = scaled.Max();
        double logSum = Math.Log(scaled.Sum(v => Math.Exp(v - max))) + max;
        return scaled.Select(v => v - logSum).ToArray();
    }

    private static (double Ce, double Kd) Expected(double t, Divergence divergence, long[] labels)
    {
        double ce = 0, kd = 0;
        int count = 0;
        for (int position = 0; position < labels.Length; position++)
        {
            if (labels[position] == -100) continue;
            count++;
            ce -= LogSoftmax(Row(Student, position), 1)[labels[position]];
            var s = LogSoftmax(Row(Student, position), t);
            var q = LogSoftmax(Row(Teacher, position), t);
            for (int v = 0; v < 4; v++)
                kd += divergence == Divergence.ForwardKL ? Math.Exp(q[v]) * (q[v] - s[v]) : Math.Exp(s[v]) * (s[v] - q[v]);
        }
        return count == 0 ? (0, 0) : (ce / count, kd / count * t * t);
    }

    private static (double Total, double Ce, double Kd) Actual(float weight, float t, Divergence divergence, long[] labels)
    {
        using var scope = NewDisposeScope();
        var terms = LossOnPositions.Compute(tensor(Student, new long[] { 2, 3, 4 }), tensor(Teacher, new long[] { 2, 3, 4 }),
            tensor(labels, new long[] { 2, 3 }), weight, t, divergence);
        return (terms.Total.item<float>(), terms.CrossEntropy.item<float>(), terms.Divergence.item<float>());
    }

    [TestMethod]
    [DataRow(0.5f, 1f, Divergence.ForwardKL)]
    [DataRow(0.9f, 2f, Divergence.ForwardKL)]
    [DataRow(0.3f, 5.94f, Divergence.ForwardKL)]
    [DataRow(0.5f, 1f, Divergence.ReverseKL)]
    [DataRow(0.7f, 3f, Divergence.ReverseKL)]
    public void MatchesHandComputedValues(float weight, float t, Divergence divergence)
    {
        var (ce, kd) = Expected(t, divergence, Labels);
        var actual = Actual(weight, t, divergence, Labels);
        Assert.AreEqual(ce, actual.Ce, 1e-5, "cross-entropy");
        Assert.AreEqual(kd, actual.Kd, 1e-5, "T² · KL");
        Assert.AreEqual((1 - weight) * ce + weight * kd, actual.Total, 1e-5, "mixed loss");
    }

    [TestMethod]
    [DataRow(Divergence.ForwardKL)]
    [DataRow(Divergence.ReverseKL)]
    public void TopKSupportOfTheWholeVocabularyEqualsTheDenseLoss(Divergence divergence)
    {
        using var scope = NewDisposeScope();
        var student = tensor(Student, new long[] { 2, 3, 4 });
        var teacher = tensor(Teacher, new long[] { 2, 3, 4 });
        var labels = tensor(Labels, new long[] { 2, 3 });
        var dense = LossOnPositions.Compute(student, teacher, labels, 0.5f, 2, divergence);
        var rows = LossOnPositions.Rows(labels);
        var (values, ids) = teacher.reshape(-1, 4).index_select(0, rows).topk(4, dim: -1); // [M, 4], ids in a new order
        var topK = LossOnPositions.ComputeTopK(student, labels, ids, values, 0.5f, 2, divergence);
        Assert.AreEqual(dense.Divergence.item<float>(), topK.Divergence.item<float>(), 1e-6);
        Assert.AreEqual(dense.Total.item<float>(), topK.Total.item<float>(), 1e-6);
    }

    [TestMethod]
    public void ReverseKlOnATopKSupportSumsOverTheSupportOnly()
    {
        using var scope = NewDisposeScope();
        var labels = tensor(Labels, new long[] { 2, 3 });
        var rows = LossOnPositions.Rows(labels);
        var (values, ids) = tensor(Teacher, new long[] { 2, 3, 4 }).reshape(-1, 4).index_select(0, rows).topk(2, dim: -1); // [M, 2]
        var actual = LossOnPositions.ComputeTopK(tensor(Student, new long[] { 2, 3, 4 }), labels, ids, values, 1, 1, Divergence.ReverseKL);
        // By hand: q is the student's full softmax at the two ids, p the teacher renormalised over them.
        double sum = 0;
        var validRows = rows.data<long>().ToArray();
        for (int m = 0; m < validRows.Length; m++)
        {
            var q = LogSoftmax(Row(Student, (int)validRows[m]), 1);
            var k = ids[m].data<long>().ToArray();
            var p = LogSoftmax(k.Select(i => (double)Teacher[validRows[m] * 4 + i]).ToArray(), 1);
            for (int j = 0; j < 2; j++) sum += Math.Exp(q[k[j]]) * (q[k[j]] - p[j]);
        }
        Assert.AreEqual(sum / validRows.Length, actual.Divergence.item<float>(), 1e-5);
    }

    [TestMethod]
    public void ForwardAndReverseKlDiffer()
    {
        Assert.AreNotEqual(Actual(1, 2, Divergence.ForwardKL, Labels).Kd, Actual(1, 2, Divergence.ReverseKL, Labels).Kd, 1e-3);
    }

    [TestMethod]
    public void MaskedPositionsDoNotCount()
    {
        // Changing a masked position's logits must not change the loss.
        var baseline = Actual(0.5f, 2, Divergence.ForwardKL, Labels);
        float saved = Student[2 * 4];
        try
        {
            Student[2 * 4] = 50f;
            Assert.AreEqual(baseline.Total, Actual(0.5f, 2, Divergence.ForwardKL, Labels).Total, 1e-6);
        }
        finally
        {
            Student[2 * 4] = saved;
        }
    }

    [TestMethod]
    public void AllMaskedBatchGivesZero()
    {
        var masked = Enumerable.Repeat(-100L, 6).ToArray();
        var actual = Actual(0.5f, 2, Divergence.ForwardKL, masked);
        Assert.AreEqual(0.0, actual.Total);
        Assert.AreEqual(0.0, actual.Ce);
        Assert.AreEqual(0.0, actual.Kd);
    }

    [TestMethod]
    public void ZeroWeightIsPlainCrossEntropy()
    {
        var (ce, _) = Expected(1, Divergence.ForwardKL, Labels);
        Assert.AreEqual(ce, Actual(0, 4, Divergence.ForwardKL, Labels).Total, 1e-5);
    }
}
