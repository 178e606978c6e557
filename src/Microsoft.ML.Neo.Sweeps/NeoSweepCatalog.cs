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

    /// <summary>
    /// Which priming helps the student: each candidate's primed-teacher accuracy and the held-out accuracy and gain of
    /// the student distilled with it, best student first; see <see cref="PrimingRanking"/>.
    /// </summary>
    public static IReadOnlyList<PrimingRank> RankPrimings(this MLContext mlContext, NeoDistillOptions baseOptions, IReadOnlyList<PrimingChoice> candidates,
        IDataView trainData, IDataView validationData, string? trialLog = null, IProgress<SweepProgress>? progress = null, CancellationToken cancellation = default) =>
        PrimingRanking.Rank(mlContext, baseOptions, candidates, trainData, validationData, trialLog, progress, cancellation);
}
