using System.Globalization;
using System.Text;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>The trials of a sweep and its best model, an ordinary ML.NET transformer (save it with mlContext.Model.Save).</summary>
public sealed class NeoSweepResult : IDisposable
{
    private readonly NeoSearchSpace space;

    internal NeoSweepResult(IReadOnlyList<SweepTrial> trials, SweepTrial bestTrial, NeoDistillTransformer bestModel, SweepMetric metric, bool maximize,
        NeoSearchSpace space)
    {
        this.space = space;
        Trials = trials;
        BestTrial = bestTrial;
        BestModel = bestModel;
        Metric = metric;
        Maximize = maximize;
    }

    /// <summary>Every trial, from the log of earlier runs included, in order.</summary>
    public IReadOnlyList<SweepTrial> Trials { get; }

    public SweepTrial BestTrial { get; }

    /// <summary>The best trial's fitted transformer (kept from its trial, or refitted when that trial ran in an earlier run).</summary>
    public NeoDistillTransformer BestModel { get; }

    public SweepMetric Metric { get; }

    public bool Maximize { get; }

    /// <summary>A Markdown table of the trials, best marked; a column per searched choice (divergence, priming...) after the usual ones.</summary>
    public string ToTable()
    {
        var choices = space.Dimensions.Select(d => d.Name).Where(n => n is not (nameof(NeoSearchSpace.LoraRank) or nameof(NeoSearchSpace.Temperature)
            or nameof(NeoSearchSpace.KdWeight) or nameof(NeoSearchSpace.LearningRate) or nameof(NeoSearchSpace.Epochs))
            && !n.StartsWith(NeoSearchSpace.WeightDimension, StringComparison.Ordinal)).ToList();
        var weights = space.TeacherWeights.Keys.Order(StringComparer.Ordinal).ToList();
        var table = new StringBuilder();
        table.AppendLine($"| trial | LoRA rank | temperature | KD weight | learning rate | epochs |{string.Concat(choices.Concat(weights).Select(c => $" {c} |"))} {Metric} | seconds | status |");
        table.AppendLine("|---|---|---|---|---|---|" + string.Concat(Enumerable.Repeat("---|", choices.Count + weights.Count)) + "---|---|---|");
        foreach (var t in Trials)
        {
            var p = t.Parameters;
            string best = ReferenceEquals(t, BestTrial) || t.Index == BestTrial.Index ? " (best)" : "";
            string rank = p.Finetuning == Finetuning.Full ? "-" : p.LoraRank.ToString(CultureInfo.InvariantCulture);
            string extra = string.Concat(choices.Select(c => $" {ChoiceText(p, c)} |"))
                + string.Concat(weights.Select(w => $" {(p.TeacherWeights?.TryGetValue(w, out double v) == true ? v.ToString("G3", CultureInfo.InvariantCulture) : "-")} |"));
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {t.Index}{best} | {rank} | {p.Temperature:G3} | {p.KdWeight:F2} | {p.LearningRate:G3} | {(p.Epochs?.ToString() ?? "-")} |{extra} {(t.Metric is double m ? m.ToString("G4", CultureInfo.InvariantCulture) : "-")} | {t.Seconds:F0} | {t.Status}{(t.Message is null ? "" : ": " + t.Message)} |"));
        }
        return table.ToString();
    }

    private static string ChoiceText(SweepParameters p, string dimension) => dimension switch
    {
        nameof(NeoSearchSpace.Divergences) => p.Divergence?.ToString(),
        nameof(NeoSearchSpace.JsdBeta) => p.JsdBeta?.ToString("G3", CultureInfo.InvariantCulture),
        nameof(NeoSearchSpace.SkewAlpha) => p.SkewAlpha?.ToString("G3", CultureInfo.InvariantCulture),
        nameof(NeoSearchSpace.Primings) => p.Priming?.ToString().Replace("|", "\\|", StringComparison.Ordinal),
        nameof(NeoSearchSpace.OnPolicyFraction) => p.OnPolicyFraction?.ToString("F2", CultureInfo.InvariantCulture),
        nameof(NeoSearchSpace.FinetuningKinds) => p.Finetuning?.ToString(),
        nameof(NeoSearchSpace.AdapterKinds) => p.Adapter?.ToString(),
        _ => null,
    } ?? "-";

    /// <summary>
    /// What each searched dimension did: every trial's metric against it and its partial dependence (a random forest
    /// fitted to the measured trials, averaged over the other coordinates as the trials had them). A dimension whose
    /// curve is flat did not matter within its range, as far as these trials can tell.
    /// </summary>
    /// <param name="points">Values per continuous dimension the curve is drawn at, 2 to 1000. Default 25.</param>
    public IReadOnlyList<DimensionDependence> PartialDependence(int points = 25)
    {
        if (points is < 2 or > 1000) throw new ArgumentOutOfRangeException(nameof(points), points, "The curve needs 2 to 1000 points.");
        return DimensionDependence.Compute(space, Trials, points);
    }

    /// <summary>Writes a PNG with a panel per searched dimension: the trials' metric against it and its partial dependence.</summary>
    public void SaveDependencePlot(string path) => SweepPlot.SaveDependence(this, PartialDependence(), path);

    /// <summary>Writes a PNG: the metric per trial, and against LoRA rank and KD temperature (log scales), best trial marked.</summary>
    public void SavePlot(string path) => SweepPlot.Save(this, path);

    public void Dispose() => BestModel.Dispose();
}
