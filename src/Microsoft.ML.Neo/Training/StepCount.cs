namespace Microsoft.ML.Neo.Training;

/// <summary>How many optimizer steps a run takes: the one formula the trainer and <see cref="NeoDistillOptions.StepsFor"/> share.</summary>
internal static class StepCount
{
    /// <summary>Batches in one pass over the examples (the last one may be short).</summary>
    public static int PerEpoch(long examples, int batchSize) => (int)((examples + batchSize - 1) / batchSize);

    /// <summary>Steps of the whole run: every epoch's batches, capped by <paramref name="maxSteps"/> when it is above 0.</summary>
    public static int Total(int stepsPerEpoch, int epochs, int maxSteps)
    {
        int steps = stepsPerEpoch * epochs;
        return maxSteps > 0 ? Math.Min(steps, maxSteps) : steps;
    }
}
