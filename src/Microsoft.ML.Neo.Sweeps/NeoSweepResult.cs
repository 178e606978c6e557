using System.Globalization;
using System.Text;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>The trials of a sweep and its best model, an ordinary ML.NET transformer (save it with mlContext.Model.Save).</summary>
public sealed class NeoSweepResult : IDisposable
{
    internal NeoSweepResult(IReadOnlyList<SweepTrial> trials, SweepTrial bestTrial, NeoDistillTransformer bestModel, SweepMetric metric, bool maximize)
    {
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

    /// <summary>A Markdown table of the trials, best marked.</summary>
    public string ToTable()
    {
        var table = new StringBuilder();
        table.AppendLine($"| trial | LoRA rank | temperature | KD weight | learning rate | epochs | {Metric} | seconds | status |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var t in Trials)
        {
            var p = t.Parameters;
            string best = ReferenceEquals(t, BestTrial) || t.Index == BestTrial.Index ? " (best)" : "";
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {t.Index}{best} | {p.LoraRank} | {p.Temperature:G3} | {p.KdWeight:F2} | {p.LearningRate:G3} | {(p.Epochs?.ToString() ?? "-")} | {(t.Metric is double m ? m.ToString("G4", CultureInfo.InvariantCulture) : "-")} | {t.Seconds:F0} | {t.Status}{(t.Message is null ? "" : ": " + t.Message)} |"));
        }
        return table.ToString();
    }

    /// <summary>Writes a PNG: the metric per trial, and against LoRA rank and KD temperature (log scales), best trial marked.</summary>
    public void SavePlot(string path) => SweepPlot.Save(this, path);

    public void Dispose() => BestModel.Dispose();
}
