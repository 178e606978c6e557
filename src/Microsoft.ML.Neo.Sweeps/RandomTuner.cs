namespace Microsoft.ML.Neo.Sweeps;

/// <summary>Uniformly random points of the unit cube (so log ranges are sampled log-uniformly), seeded.</summary>
public sealed class RandomTuner : ISweepTuner
{
    private readonly int seed;

    public RandomTuner(int seed = 1) => this.seed = seed;

    public string Name => $"random (seed {seed})";

    // Null when every draw repeats a tried configuration: the space is used up.
    public double[]? Propose(IReadOnlyList<SearchRange> dimensions, IReadOnlyList<TunerObservation> history) =>
        Propose(dimensions, history, TunerMath.AsIs);

    public double[]? Propose(IReadOnlyList<SearchRange> dimensions, IReadOnlyList<TunerObservation> history, Func<double[], double[]> canonical) =>
        TunerMath.RandomUntried(TunerMath.ForProposal(seed, history.Count), dimensions, history, canonical);
}
