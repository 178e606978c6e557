namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// What one searched dimension did in a sweep: the metric of each trial that used it, against its value, and the
/// partial dependence of the metric on it (Friedman's: a random forest fitted to every measured trial, evaluated with
/// this dimension set to each value and every other coordinate as each trial had it, averaged over the trials).
/// </summary>
/// <param name="Dimension">The name, as <see cref="NeoSearchSpace.Dimensions"/> gives it.</param>
/// <param name="Trials">(value, metric) of each measured trial that used the dimension (a conditional one, such as JSD's β, is unused by some).</param>
/// <param name="Curve">(value, partial dependence), in increasing value; empty with fewer than 3 measured trials.</param>
/// <param name="Categories">The categories' names of a categorical dimension, whose values are their indexes; null for any other.</param>
/// <param name="LogScale">The dimension is searched on a log scale (plot it so).</param>
public sealed record DimensionDependence(string Dimension, IReadOnlyList<(double Value, double Metric)> Trials,
    IReadOnlyList<(double Value, double Metric)> Curve, IReadOnlyList<string>? Categories, bool LogScale)
{
    /// <summary>The largest minus the smallest of the curve: how much the metric moves with this dimension alone; 0 without a curve.</summary>
    public double Spread => Curve.Count == 0 ? 0 : Curve.Max(c => c.Metric) - Curve.Min(c => c.Metric);

    /// <summary>The partial dependence of a sweep's metric on each of its searched (not fixed) dimensions.</summary>
    internal static IReadOnlyList<DimensionDependence> Compute(NeoSearchSpace space, IReadOnlyList<SweepTrial> trials, int points, int seed = 1)
    {
        var dimensions = space.Dimensions;
        var ranges = dimensions.Select(d => d.Range).ToList();
        var measured = trials.Where(t => t.Metric is double && t.Status != TrialStatus.Cancelled && t.Point.Length == dimensions.Count).ToList();
        var forest = measured.Count >= 3
            ? TrialForest.Fit(measured.Select(t => (t.Point, t.Metric!.Value)).ToList(), ranges, trees: 32, seed)
            : null;
        var result = new List<DimensionDependence>();
        for (int d = 0; d < dimensions.Count; d++)
        {
            var (name, range) = dimensions[d];
            if (range.IsFixed) continue;
            // A trial used the dimension when its canonical point keeps a value put there (an unused coordinate becomes 0).
            double probe = range.IsCategorical ? range.ToUnit(0) : 0.5;
            bool Uses(double[] point) => Math.Abs(space.Canonical(With(point, d, probe))[d] - probe) < 1e-12;
            var used = measured.Where(t => Uses(t.Point)).ToList();
            var curve = new List<(double, double)>();
            if (forest is not null)
            {
                foreach (double unit in Grid(range, points))
                {
                    var predictions = used.Select(t => forest.Predict(space.Canonical(With(t.Point, d, unit))).Mean).ToList();
                    if (predictions.Count > 0) curve.Add((range.FromUnit(unit), predictions.Average()));
                }
            }
            result.Add(new DimensionDependence(name, used.Select(t => (range.FromUnit(t.Point[d]), t.Metric!.Value)).ToList(), curve,
                space.CategoriesOf(name), range.LogScale));
        }
        return result;
    }

    private static double[] With(double[] point, int dimension, double unit)
    {
        var copy = (double[])point.Clone();
        copy[dimension] = unit;
        return copy;
    }

    // The values the curve is drawn at: each category, each integer of a small integer range, or evenly spaced points.
    private static IEnumerable<double> Grid(SearchRange range, int points)
    {
        if (range.IsCategorical) return Enumerable.Range(0, range.CategoryCount).Select(i => range.ToUnit(i));
        var units = Enumerable.Range(0, points).Select(i => (double)i / (points - 1));
        return range.IsInteger ? units.GroupBy(range.FromUnit).Select(g => range.ToUnit(g.Key)) : units;
    }
}
