namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// SMAC-style Bayesian optimisation: after <see cref="InitialRandomTrials"/> random trials, a random forest
/// (Microsoft.ML.FastTree's FastForest) is fitted to the losses seen so far; its trees' spread gives each candidate a
/// mean and an uncertainty, and the candidate with the largest expected improvement over the best loss is tried next.
/// Candidates are random points plus small moves around the best points found. Seeded and single-threaded, so the same
/// history gives the same proposal.
/// </summary>
public sealed class SmacTuner : ISweepTuner
{
    private readonly int seed;

    public SmacTuner(int seed = 1, int initialRandomTrials = 5, int trees = 16, int randomCandidates = 500, int localCandidates = 200)
    {
        if (initialRandomTrials < 2) throw new ArgumentOutOfRangeException(nameof(initialRandomTrials), initialRandomTrials, "At least 2 random trials are needed before a model can be fitted.");
        if (trees < 2) throw new ArgumentOutOfRangeException(nameof(trees), trees, "At least 2 trees are needed to estimate uncertainty.");
        this.seed = seed;
        InitialRandomTrials = initialRandomTrials;
        Trees = trees;
        RandomCandidates = randomCandidates;
        LocalCandidates = localCandidates;
    }

    public int InitialRandomTrials { get; }

    public int Trees { get; }

    public int RandomCandidates { get; }

    public int LocalCandidates { get; }

    public string Name => $"SMAC (FastForest, {Trees} trees, seed {seed})";

    public double[]? Propose(IReadOnlyList<SearchRange> dimensions, IReadOnlyList<TunerObservation> history) =>
        Propose(dimensions, history, TunerMath.AsIs);

    public double[]? Propose(IReadOnlyList<SearchRange> dimensions, IReadOnlyList<TunerObservation> history, Func<double[], double[]> canonical)
    {
        var random = TunerMath.ForProposal(seed, history.Count);
        if (history.Count < InitialRandomTrials || dimensions.All(d => d.IsFixed)) return TunerMath.RandomUntried(random, dimensions, history, canonical);

        // As SMAC does, the forest models the logarithm of the loss (shifted to be positive), which resolves the region
        // near the best points, where the search should concentrate, better than the raw loss does.
        double lowest = history.Min(h => h.Loss), highest = history.Max(h => h.Loss);
        double shift = 1e-3 * (highest - lowest) + 1e-12;
        double Transform(double loss) => Math.Log(loss - lowest + shift);
        var forest = TrialForest.Fit(history.Select(h => (h.Point, Transform(h.Loss))).ToList(), dimensions, Trees, seed + history.Count);
        double best = Transform(lowest);
        var incumbent = history.MinBy(h => h.Loss).Point;
        var candidates = new List<double[]>();
        for (int i = 0; i < RandomCandidates; i++) candidates.Add(TunerMath.RandomPoint(random, dimensions));
        // Local search around the best few points found so far: small Gaussian moves of the ordinary coordinates, and
        // SMAC's neighbour of a categorical one, another category drawn at random (here with probability 0.2).
        var leaders = history.OrderBy(h => h.Loss).Take(5).ToList();
        for (int i = 0; i < LocalCandidates; i++)
        {
            var start = leaders[i % leaders.Count].Point;
            candidates.Add(start.Select((x, d) => dimensions[d].IsFixed ? 0
                : dimensions[d].IsCategorical ? (random.NextDouble() < 0.2 ? random.NextDouble() : x)
                : Math.Clamp(x + 0.1 * Gaussian(random), 0, 1)).ToArray());
        }

        double[]? chosen = null;
        double bestImprovement = double.NegativeInfinity;
        foreach (var candidate in candidates.Select(canonical))
        {
            if (TunerMath.AlreadyTried(candidate, dimensions, history)) continue;
            var (mean, spread) = forest.Predict(candidate);
            // The forest is piecewise constant, so many candidates tie; among equals, the one nearest the best point wins.
            double improvement = ExpectedImprovement(best, mean, spread) - 1e-9 * Distance(candidate, incumbent);
            if (improvement > bestImprovement)
            {
                bestImprovement = improvement;
                chosen = candidate;
            }
        }
        return chosen ?? TunerMath.RandomUntried(random, dimensions, history, canonical);
    }

    /// <summary>E[max(best − f, 0)] for f ~ N(mean, spread²): the expected gain below the best loss.</summary>
    internal static double ExpectedImprovement(double best, double mean, double spread)
    {
        if (spread < 1e-12) return Math.Max(best - mean, 0);
        double z = (best - mean) / spread;
        return (best - mean) * NormalCdf(z) + spread * Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);
    }

    private static double NormalCdf(double z) => 0.5 * (1 + Erf(z / Math.Sqrt(2)));

    // Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), enough to rank candidates.
    private static double Erf(double x)
    {
        double sign = Math.Sign(x);
        x = Math.Abs(x);
        double t = 1 / (1 + 0.3275911 * x);
        double y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return sign * y;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double Distance(double[] a, double[] b) => Math.Sqrt(a.Select((x, i) => (x - b[i]) * (x - b[i])).Sum());
}
