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
        var searched = space.Dimensions.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var columns = SweepDimensions.All.Where(d => d.Header is not null || searched.Contains(d.Name)).ToList();
        var weights = space.TeacherWeights.Keys.Order(StringComparer.Ordinal).ToList();
        var table = new StringBuilder();
        table.AppendLine($"| trial |{string.Concat(columns.Select(c => $" {c.Header ?? c.Name} |"))}{string.Concat(weights.Select(w => $" {w} |"))} {Metric} | seconds | status |");
        table.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", columns.Count + weights.Count)) + "---|---|---|");
        foreach (var t in Trials)
        {
            var p = t.Parameters;
            string best = ReferenceEquals(t, BestTrial) || t.Index == BestTrial.Index ? " (best)" : "";
            string cells = string.Concat(columns.Select(c => $" {c.Cell(p) ?? "-"} |"))
                + string.Concat(weights.Select(w => $" {(p.TeacherWeights?.TryGetValue(w, out double v) == true ? v.ToString("G3", CultureInfo.InvariantCulture) : "-")} |"));
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {t.Index}{best} |{cells} {(t.Metric is double m ? m.ToString("G4", CultureInfo.InvariantCulture) : "-")} | {t.Seconds:F0} | {t.Status}{(t.Message is null ? "" : ": " + t.Message)} |"));
        }
        return table.ToString();
    }

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
