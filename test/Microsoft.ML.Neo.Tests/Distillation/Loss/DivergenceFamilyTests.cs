using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Loss;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.Loss;

/// <summary>
/// Every divergence against values computed by hand in double precision from its textbook formula, on 1 sequence × 4
/// positions × 5 ids: on the whole vocabulary, and on a top-K support, where the reference is the same formula over the
/// whole vocabulary against the teacher renormalised over its top K and zero elsewhere (the library lumps the tail).
/// </summary>
[TestClass]
public sealed class DivergenceFamilyTests
{
    private const int Vocabulary = 5;

    private static readonly float[] Student =
    {
        1.0f, 0.5f, -0.2f, 0.0f, 2.2f,   2.0f, -1.0f, 0.3f, 0.1f, 0.0f,   0.0f, 0.0f, 0.0f, 0.0f, 0.0f,   -0.5f, 1.5f, 0.2f, 0.7f, -3.0f,
    };

    // No ties among any row's two largest teacher logits, so every top-2 support is unambiguous.
    private static readonly float[] Teacher =
    {
        0.2f, 1.5f, 0.1f, -0.3f, 0.9f,   1.0f, 0.0f, 0.8f, -1.0f, 2.5f,   0.5f, -0.5f, 2.0f, 0.0f, 0.1f,   -1.0f, 2.0f, 0.0f, 0.0f, 1.0f,
    };

    private static readonly long[] Labels = { 1, 0, 4, 3 };

    public static IEnumerable<object[]> Divergences() => new[]
    {
        new object[] { Divergence.ForwardKL, 0.5f, 0.1f },
        new object[] { Divergence.ReverseKL, 0.5f, 0.1f },
        new object[] { Divergence.JensenShannon, 0.5f, 0.1f },
        new object[] { Divergence.JensenShannon, 0.1f, 0.1f },
        new object[] { Divergence.JensenShannon, 0.9f, 0.1f },
        new object[] { Divergence.TotalVariation, 0.5f, 0.1f },
        new object[] { Divergence.SkewedForwardKL, 0.5f, 0.1f },
        new object[] { Divergence.SkewedForwardKL, 0.5f, 0.7f },
        new object[] { Divergence.SkewedReverseKL, 0.5f, 0.1f },
        new object[] { Divergence.SkewedReverseKL, 0.5f, 0.7f },
    };

    [TestMethod]
    [DynamicData(nameof(Divergences))]
    public void MatchesTheFormulaOnTheWholeVocabulary(Divergence divergence, float beta, float alpha)
    {
        foreach (float t in new[] { 1f, 2.5f })
        {
            double expected = Enumerable.Range(0, Labels.Length)
                .Average(m => Reference(divergence, Softmax(Row(Teacher, m), t), Softmax(Row(Student, m), t), beta, alpha)) * t * t;
            using var scope = NewDisposeScope();
            var actual = LossOnPositions.Compute(Input(Student), Input(Teacher), tensor(Labels, new long[] { 1, 4 }), 1, t, divergence, beta, alpha);
            Assert.AreEqual(expected, actual.Divergence.item<float>(), 2e-5 * Math.Max(1, expected), $"{divergence} at T = {t}");
            Assert.AreEqual(expected, actual.Total.item<float>(), 2e-5 * Math.Max(1, expected), "KD weight 1: the total is the KD term");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Divergences))]
    public void OnATopKSupportCountsTheStudentsTailAgainstATeacherWithNone(Divergence divergence, float beta, float alpha)
    {
        const int k = 2;
        const float t = 1.5f;
        double expected = 0;
        for (int m = 0; m < Labels.Length; m++)
        {
            var teacherRow = Row(Teacher, m);
            var top = Enumerable.Range(0, Vocabulary).OrderByDescending(i => teacherRow[i]).Take(k).ToArray();
            var renormalised = Softmax(top.Select(i => teacherRow[i]).ToArray(), t);
            var p = new double[Vocabulary];
            for (int j = 0; j < k; j++) p[top[j]] = renormalised[j];
            var q = Softmax(Row(Student, m), t);
            // Reverse KL against a teacher with zeros is infinite; the library sums it over the support only.
            expected += divergence == Divergence.ReverseKL || (divergence == Divergence.JensenShannon && beta == 1)
                ? top.Select((i, j) => q[i] * (Math.Log(q[i]) - Math.Log(renormalised[j]))).Sum()
                : Reference(divergence, p, q, beta, alpha);
        }
        expected = expected / Labels.Length * t * t;

        using var scope = NewDisposeScope();
        var labels = tensor(Labels, new long[] { 1, 4 });
        var (values, ids) = Input(Teacher).reshape(-1, Vocabulary).topk(k, dim: -1); // [M, K]
        var actual = LossOnPositions.ComputeTopK(Input(Student), labels, ids, values, 1, t, divergence, beta, alpha);
        Assert.AreEqual(expected, actual.Divergence.item<float>(), 2e-5 * Math.Max(1, expected), $"{divergence}: expected {expected}, got {actual.Divergence.item<float>()}");
    }

    [TestMethod]
    [DynamicData(nameof(Divergences))]
    public void ATopKSupportOfTheWholeVocabularyEqualsTheDenseValue(Divergence divergence, float beta, float alpha)
    {
        using var scope = NewDisposeScope();
        var labels = tensor(Labels, new long[] { 1, 4 });
        var dense = LossOnPositions.Compute(Input(Student), Input(Teacher), labels, 0.5f, 2, divergence, beta, alpha);
        var (values, ids) = Input(Teacher).reshape(-1, Vocabulary).topk(Vocabulary, dim: -1); // [M, V], ids in a new order
        var topK = LossOnPositions.ComputeTopK(Input(Student), labels, ids, values, 0.5f, 2, divergence, beta, alpha);
        Assert.AreEqual(dense.Divergence.item<float>(), topK.Divergence.item<float>(), 1e-5);
    }

    [TestMethod]
    [DynamicData(nameof(Divergences))]
    public void IsZeroWithZeroGradientWhenTheStudentEqualsTheTeacher(Divergence divergence, float beta, float alpha)
    {
        using var scope = NewDisposeScope();
        var logits = Input(Teacher).reshape(-1, Vocabulary).requires_grad_(true); // [M, V]
        var terms = DistillationLoss.Compute(logits, tensor(Labels), new Neo.Distillation.Teachers.TeacherTargets(Input(Teacher).reshape(-1, Vocabulary), null),
            new LossSettings(1, 1.5f, divergence) { JsdBeta = beta, SkewAlpha = alpha });
        Assert.AreEqual(0, terms.Divergence.item<float>(), 1e-6);
        terms.Divergence.backward();
        Assert.AreEqual(0, logits.grad!.abs().max().item<float>(), 1e-5, "the minimum is where the student is the teacher");
    }

    [TestMethod]
    public void JensenShannonEndsAreTheKullbackLeiblers()
    {
        using var scope = NewDisposeScope();
        var labels = tensor(Labels, new long[] { 1, 4 });
        float Kd(Divergence d, float beta) => LossOnPositions.Compute(Input(Student), Input(Teacher), labels, 1, 1, d, beta).Divergence.item<float>();
        Assert.AreEqual(Kd(Divergence.ForwardKL, 0.5f), Kd(Divergence.JensenShannon, 0), 1e-7);
        Assert.AreEqual(Kd(Divergence.ReverseKL, 0.5f), Kd(Divergence.JensenShannon, 1), 1e-7);
        // Symmetric JSD is bounded by ln 2 and total variation by 1, whatever the logits.
        var far = Input(Student) * 40;
        Assert.IsTrue(LossOnPositions.Compute(far, Input(Teacher) * -40, labels, 1, 1, Divergence.JensenShannon).Divergence.item<float>() <= Math.Log(2) + 1e-6);
        Assert.IsTrue(LossOnPositions.Compute(far, Input(Teacher) * -40, labels, 1, 1, Divergence.TotalVariation).Divergence.item<float>() <= 1 + 1e-6);
    }

    [TestMethod]
    public void SkewedKullbackLeiblersApproachThePlainOnesAsAlphaShrinks()
    {
        using var scope = NewDisposeScope();
        var labels = tensor(Labels, new long[] { 1, 4 });
        float Kd(Divergence d, float alpha) => LossOnPositions.Compute(Input(Student), Input(Teacher), labels, 1, 1, d, skewAlpha: alpha).Divergence.item<float>();
        float forward = Kd(Divergence.ForwardKL, 0.1f), reverse = Kd(Divergence.ReverseKL, 0.1f);
        Assert.AreEqual(forward, Kd(Divergence.SkewedForwardKL, 1e-4f), 1e-3 * forward);
        Assert.AreEqual(reverse, Kd(Divergence.SkewedReverseKL, 1e-4f), 1e-3 * reverse);
        Assert.IsTrue(Kd(Divergence.SkewedForwardKL, 0.5f) < forward, "mixing the teacher into the student's side shrinks the divergence");
    }

    // The textbook formulas over the whole vocabulary, 0·log 0 = 0.
    private static double Reference(Divergence divergence, double[] p, double[] q, double beta, double alpha)
    {
        static double Kl(double[] x, double[] y) => x.Select((xi, i) => xi > 0 ? xi * Math.Log(xi / y[i]) : 0).Sum();
        static double[] Mix(double[] x, double w, double[] y) => x.Select((xi, i) => w * xi + (1 - w) * y[i]).ToArray();
        return divergence switch
        {
            Divergence.ForwardKL => Kl(p, q),
            Divergence.ReverseKL => Kl(q, p),
            Divergence.JensenShannon => beta * Kl(p, Mix(p, beta, q)) + (1 - beta) * Kl(q, Mix(p, beta, q)),
            Divergence.TotalVariation => 0.5 * p.Select((pi, i) => Math.Abs(pi - q[i])).Sum(),
            Divergence.SkewedForwardKL => Kl(p, Mix(p, alpha, q)),
            Divergence.SkewedReverseKL => Kl(q, Mix(q, alpha, p)),
            _ => throw new ArgumentOutOfRangeException(nameof(divergence)),
        };
    }

    private static Tensor Input(float[] values) => tensor(values, new long[] { 1, 4, Vocabulary });

    private static double[] Row(float[] values, int position) => values.Skip(position * Vocabulary).Take(Vocabulary).Select(v => (double)v).ToArray();

    private static double[] Softmax(double[] logits, double t)
    {
        var scaled = logits.Select(v => v / t).ToArray();
        double max = scaled.Max();
        var exp = scaled.Select(v => Math.Exp(v - max)).ToArray();
        double sum = exp.Sum();
        return exp.Select(v => v / sum).ToArray();
    }
}
