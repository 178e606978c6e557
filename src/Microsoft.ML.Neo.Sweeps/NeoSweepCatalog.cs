namespace Microsoft.ML.Neo.Sweeps;

/// <summary>The sweep's entry point on <see cref="MLContext"/>, as AutoML's <c>mlContext.Auto()</c> is.</summary>
public static class NeoSweepCatalog
{
    /// <summary>
    /// A hyperparameter sweep of NeoDistill over LoRA rank, KD temperature, KD weight, learning rate and optionally
    /// epochs, with everything else from <paramref name="baseOptions"/>; see <see cref="NeoSweepExperiment"/>.
    /// </summary>
    public static NeoSweepExperiment CreateNeoSweepExperiment(this MLContext mlContext, NeoDistillOptions baseOptions) =>
        new(mlContext, baseOptions);
}
