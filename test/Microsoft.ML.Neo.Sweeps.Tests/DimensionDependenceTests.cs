using Microsoft.ML.Neo.Sweeps;

namespace Microsoft.ML.Neo.Tests.Sweeps;

[TestClass]
public sealed class DimensionDependenceTests
{
    // KD weight drives the metric, the learning rate does nothing, and the divergence adds a step (reverse KL is worse).
    private static readonly NeoSearchSpace Space = new()
    {
        LoraRank = SearchRange.Fixed(8), Temperature = SearchRange.Fixed(1),
        Divergences = new[] { Divergence.ForwardKL, Divergence.ReverseKL, Divergence.JensenShannon },
    };

    private static double Metric(SweepParameters p) => 0.8 * p.KdWeight - (p.Divergence == Divergence.ReverseKL ? 0.3 : 0);

    private static List<SweepTrial> Trials(int count)
    {
        var random = new Random(5);
        var dimensions = Space.Dimensions.Count;
        return Enumerable.Range(1, count).Select(i =>
        {
            var point = Space.Canonical(Enumerable.Range(0, dimensions).Select(_ => random.NextDouble()).ToArray());
            var parameters = Space.FromUnit(point);
            return new SweepTrial(i, parameters, point, Metric(parameters), 1, TrialStatus.Completed);
        }).ToList();
    }

    [TestMethod]
    public void TheCurveFollowsTheDimensionThatMattersAndStaysFlatForOneThatDoesNot()
    {
        var dependence = DimensionDependence.Compute(Space, Trials(40), points: 11).ToDictionary(d => d.Dimension);
        CollectionAssert.AreEquivalent(new[] { "KdWeight", "LearningRate", "Divergences", "JsdBeta" }, dependence.Keys.ToArray(), "fixed dimensions are left out");
        var kd = dependence["KdWeight"];
        Assert.AreEqual(11, kd.Curve.Count);
        Assert.IsTrue(kd.Curve[^1].Metric - kd.Curve[0].Metric > 0.4, $"the KD weight's curve rises ({kd.Curve[0].Metric:F3} to {kd.Curve[^1].Metric:F3})");
        Assert.IsTrue(dependence["LearningRate"].Spread < kd.Spread / 4, $"the learning rate's curve is flat ({dependence["LearningRate"].Spread:F3} against {kd.Spread:F3})");
        Assert.IsTrue(dependence["LearningRate"].LogScale);

        var divergence = dependence["Divergences"];
        CollectionAssert.AreEqual(new[] { "ForwardKL", "ReverseKL", "JensenShannon" }, divergence.Categories!.ToArray());
        CollectionAssert.AreEqual(new[] { 0.0, 1, 2 }, divergence.Curve.Select(c => c.Value).ToArray(), "one point per category");
        // The forest shrinks the step (few trials per leaf), but reverse KL stays clearly the worst.
        Assert.IsTrue(divergence.Curve[1].Metric < divergence.Curve[0].Metric - 0.05 && divergence.Curve[1].Metric < divergence.Curve[2].Metric - 0.05,
            string.Join(", ", divergence.Curve.Select(c => c.Metric.ToString("F3"))));

        // JSD's β was used only by the JSD trials: only they are its points.
        int jsdTrials = Trials(40).Count(t => t.Parameters.Divergence == Divergence.JensenShannon);
        Assert.AreEqual(jsdTrials, dependence["JsdBeta"].Trials.Count);
        Assert.AreEqual(40, kd.Trials.Count);
    }

    [TestMethod]
    public void TooFewTrialsGiveThePointsButNoCurve()
    {
        var dependence = DimensionDependence.Compute(Space, Trials(2), points: 5);
        Assert.IsTrue(dependence.All(d => d.Curve.Count == 0 && d.Spread == 0));
        Assert.AreEqual(2, dependence.First(d => d.Dimension == "KdWeight").Trials.Count);
    }
}
