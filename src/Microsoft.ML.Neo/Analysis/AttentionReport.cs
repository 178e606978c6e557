using System.Globalization;
using System.Text;

namespace Microsoft.ML.Neo.Analysis;

/// <summary>One model's attention over a set of texts: the maps of each text, and each head's statistics over all of them.</summary>
public sealed class AttentionReport
{
    private readonly Lazy<IReadOnlyList<HeadStatistics>> statistics;

    internal AttentionReport(string modelName, int layers, int heads, IReadOnlyList<TextAttention> texts)
    {
        ModelName = modelName;
        Layers = layers;
        Heads = heads;
        Texts = texts;
        statistics = new Lazy<IReadOnlyList<HeadStatistics>>(() =>
            Enumerable.Range(0, layers).SelectMany(l => Enumerable.Range(0, heads).Select(h => HeadStatistics.Of(l, h, texts))).ToList());
    }

    public string ModelName { get; }

    public int Layers { get; }

    /// <summary>Query heads per layer.</summary>
    public int Heads { get; }

    /// <summary>The analysed texts with their maps, in the order given.</summary>
    public IReadOnlyList<TextAttention> Texts { get; }

    /// <summary>Every head's statistics, layer by layer.</summary>
    public IReadOnlyList<HeadStatistics> Statistics => statistics.Value;

    /// <summary>One head's statistics.</summary>
    public HeadStatistics this[int layer, int head] => Statistics[layer * Heads + head];

    /// <summary>A statistic over all heads of a layer (or of the model, with <paramref name="layer"/> null): their mean.</summary>
    public double Mean(string statistic, int? layer = null) =>
        Statistics.Where(s => layer is null || s.Layer == layer).Average(s => s.Value(statistic));

    /// <summary>A Markdown table: one row per head with its statistics.</summary>
    public string ToTable()
    {
        var table = new StringBuilder();
        table.AppendLine($"| layer | head | {string.Join(" | ", HeadStatistics.Names)} |");
        table.AppendLine("|---|---|" + string.Concat(HeadStatistics.Names.Select(_ => "---|")));
        foreach (var s in Statistics)
            table.AppendLine($"| {s.Layer} | {s.Head} | {string.Join(" | ", HeadStatistics.Names.Select(n => Format(s.Value(n))))} |");
        return table.ToString();
    }

    /// <summary>
    /// A Markdown table comparing models of one architecture on the same texts: each statistic's mean over all heads
    /// and per layer, a column per model, and the heads whose statistic moved most from the first model's.
    /// </summary>
    public static string Compare(IReadOnlyList<AttentionReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count < 2) throw new ArgumentException("Comparing needs two reports or more.", nameof(reports));
        var first = reports[0];
        foreach (var other in reports.Skip(1))
        {
            if (other.Layers != first.Layers || other.Heads != first.Heads)
                throw new ArgumentException($"'{other.ModelName}' has {other.Layers} layers of {other.Heads} heads and '{first.ModelName}' {first.Layers} of {first.Heads}; " +
                    "heads can only be compared between models of one architecture.", nameof(reports));
            if (!other.Texts.Select(t => t.Text).SequenceEqual(first.Texts.Select(t => t.Text)))
                throw new ArgumentException($"'{other.ModelName}' was analysed on other texts than '{first.ModelName}'; analyse every model on the same texts.", nameof(reports));
        }
        var table = new StringBuilder();
        table.AppendLine($"| statistic | layer | {string.Join(" | ", reports.Select(r => r.ModelName))} |");
        table.AppendLine("|---|---|" + string.Concat(reports.Select(_ => "---|")));
        foreach (string statistic in HeadStatistics.Names)
        {
            table.AppendLine($"| {statistic} | all | {string.Join(" | ", reports.Select(r => Format(r.Mean(statistic))))} |");
            for (int layer = 0; layer < first.Layers; layer++)
                table.AppendLine($"| | {layer} | {string.Join(" | ", reports.Select(r => Format(r.Mean(statistic, layer))))} |");
        }
        table.AppendLine();
        table.AppendLine($"Heads that moved most from {first.ModelName} (layer.head: its value there → here):");
        table.AppendLine();
        foreach (var other in reports.Skip(1))
        {
            foreach (string statistic in HeadStatistics.Names)
            {
                var moved = other.Statistics.Select(s => (s.Layer, s.Head, Before: first[s.Layer, s.Head].Value(statistic), After: s.Value(statistic)))
                    .OrderByDescending(m => Math.Abs(m.After - m.Before)).Take(3)
                    .Select(m => $"{m.Layer}.{m.Head}: {Format(m.Before)} → {Format(m.After)}");
                table.AppendLine($"- {other.ModelName}, {statistic}: {string.Join("; ", moved)}");
            }
        }
        return table.ToString();
    }

    private static string Format(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
}
