namespace Microsoft.ML.Neo.Sweeps;

/// <summary>A finished trial as a tuner sees it: its point in the unit cube and a loss to minimise.</summary>
public readonly record struct TunerObservation(double[] Point, double Loss);

/// <summary>
/// Chooses the next configuration to try. Tuners work in the unit cube, one coordinate per search dimension (see
/// <see cref="SearchRange.FromUnit"/>), and minimise. A proposal depends only on the tuner's seed and the history, so a
/// sweep resumed from its log proposes what the unbroken sweep would have.
/// </summary>
public interface ISweepTuner
{
    string Name { get; }

    /// <summary>The next point, or null when the tuner has nothing left to try (a finished grid).</summary>
    double[]? Propose(IReadOnlyList<SearchRange> dimensions, IReadOnlyList<TunerObservation> history);

    /// <summary>
    /// The next point of a space with conditional dimensions, which some configurations do not use (the LoRA rank of a
    /// trial that trains every weight, JSD's β under another divergence). <paramref name="canonical"/> maps a point to
    /// the one the sweep records for its configuration (unused coordinates 0, categories at the middle of their slice),
    /// so two points that train the same way count as one. A tuner that does not override this ignores it.
    /// </summary>
    double[]? Propose(IReadOnlyList<SearchRange> dimensions, IReadOnlyList<TunerObservation> history, Func<double[], double[]> canonical) =>
        Propose(dimensions, history);
}

/// <summary>Shared by the tuners: seeded randomness per proposal, and checks against points already tried.</summary>
internal static class TunerMath
{
    /// <summary>A generator for proposal number <paramref name="index"/> of a tuner seeded with <paramref name="seed"/>.</summary>
    public static Random ForProposal(int seed, int index) => new(unchecked(seed * 1_000_003 + index * 7919 + 17));

    public static double[] RandomPoint(Random random, IReadOnlyList<SearchRange> dimensions) =>
        dimensions.Select(d => d.IsFixed ? 0 : random.NextDouble()).ToArray();

    /// <summary>The identity: a space without conditional dimensions.</summary>
    public static double[] AsIs(double[] point) => point;

    /// <summary>A random (canonical) point whose configuration was not tried yet, or null when 1000 draws all repeated one.</summary>
    public static double[]? RandomUntried(Random random, IReadOnlyList<SearchRange> dimensions, IReadOnlyList<TunerObservation> history,
        Func<double[], double[]> canonical)
    {
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            var point = canonical(RandomPoint(random, dimensions));
            if (!AlreadyTried(point, dimensions, history)) return point;
        }
        return null;
    }

    /// <summary>
    /// True when some tried point gives the same configuration as this canonical point (integer ranges round nearby
    /// points together, categories own slices).
    /// </summary>
    public static bool AlreadyTried(double[] point, IReadOnlyList<SearchRange> dimensions, IReadOnlyList<TunerObservation> history) =>
        history.Any(h => SameConfiguration(h.Point, point, dimensions));

    public static bool SameConfiguration(double[] a, double[] b, IReadOnlyList<SearchRange> dimensions)
    {
        for (int i = 0; i < dimensions.Count; i++)
        {
            double x = dimensions[i].FromUnit(a[i]), y = dimensions[i].FromUnit(b[i]);
            if (Math.Abs(x - y) > 1e-9 * Math.Max(1, Math.Abs(x))) return false;
        }
        return true;
    }
}
