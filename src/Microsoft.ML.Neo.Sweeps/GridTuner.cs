namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// Every combination of <see cref="PointsPerDimension"/> evenly spaced values per searched dimension (ends included; a
/// fixed dimension has one, a categorical one each of its categories), in order, skipping configurations already tried.
/// Null once the grid is done.
/// </summary>
public sealed class GridTuner : ISweepTuner
{
    public GridTuner(int pointsPerDimension = 3)
    {
        if (pointsPerDimension < 2)
            throw new ArgumentOutOfRangeException(nameof(pointsPerDimension), pointsPerDimension, "A grid needs at least 2 points per dimension.");
        PointsPerDimension = pointsPerDimension;
    }

    public int PointsPerDimension { get; }

    public string Name => $"grid ({PointsPerDimension} per dimension)";

    public double[]? Propose(IReadOnlyList<SearchRange> dimensions, IReadOnlyList<TunerObservation> history) =>
        Propose(dimensions, history, TunerMath.AsIs);

    public double[]? Propose(IReadOnlyList<SearchRange> dimensions, IReadOnlyList<TunerObservation> history, Func<double[], double[]> canonical)
    {
        var levels = dimensions.Select(d => d.IsFixed ? 1 : d.IsCategorical ? d.CategoryCount : PointsPerDimension).ToArray();
        long total = levels.Aggregate(1L, (product, n) => product * n);
        for (long index = 0; index < total; index++)
        {
            var point = new double[dimensions.Count];
            long rest = index;
            for (int d = dimensions.Count - 1; d >= 0; d--)
            {
                long level = rest % levels[d];
                rest /= levels[d];
                point[d] = levels[d] == 1 ? 0 : dimensions[d].IsCategorical ? (level + 0.5) / levels[d] : (double)level / (levels[d] - 1);
            }
            point = canonical(point);
            if (!TunerMath.AlreadyTried(point, dimensions, history)) return point;
        }
        return null;
    }
}
