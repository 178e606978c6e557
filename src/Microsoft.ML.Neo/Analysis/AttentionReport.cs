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
    /// A Markdown table comparing models on the same texts: each statistic's mean over all heads and per layer, a column
    /// per model, and, between models of one architecture, the heads whose statistic moved most from the first model's.
    /// Models of other shapes (a teacher and its smaller student) compare by their means and layer by layer; a layer a
    /// model does not have is shown as "–", and heads are not matched one to one.
    /// </summary>
    public static string Compare(IReadOnlyList<AttentionReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count < 2) throw new ArgumentException("Comparing needs two reports or more.", nameof(reports));
        var first = reports[0];
        foreach (var other in reports.Skip(1))
        {
            if (!other.Texts.Select(t => t.Text).SequenceEqual(first.Texts.Select(t => t.Text)))
                throw new ArgumentException($"'{other.ModelName}' was analysed on other texts than '{first.ModelName}'; analyse every model on the same texts.", nameof(reports));
        }
        int layers = reports.Max(r => r.Layers);
        var table = new StringBuilder();
        table.AppendLine($"| statistic | layer | {string.Join(" | ", reports.Select(r => r.ModelName))} |");
        table.AppendLine("|---|---|" + string.Concat(reports.Select(_ => "---|")));
        foreach (string statistic in HeadStatistics.Names)
        {
            table.AppendLine($"| {statistic} | all | {string.Join(" | ", reports.Select(r => Format(r.Mean(statistic))))} |");
            for (int layer = 0; layer < layers; layer++)
                table.AppendLine($"| | {layer} | {string.Join(" | ", reports.Select(r => layer < r.Layers ? Format(r.Mean(statistic, layer)) : "–"))} |");
        }
        table.AppendLine();
        var shaped = reports.Skip(1).Where(r => r.Layers == first.Layers && r.Heads == first.Heads).ToList();
        foreach (var other in reports.Skip(1).Except(shaped))
            table.AppendLine($"{other.ModelName} has {other.Layers} layers of {other.Heads} heads and {first.ModelName} {first.Layers} of {first.Heads}, " +
                             "so their heads are compared through the means above, not one to one.").AppendLine();
        if (shaped.Count == 0) return table.ToString();
        table.AppendLine($"Heads that moved most from {first.ModelName} (layer.head: its value there → here; moves under 0.001 left out):");
        table.AppendLine();
        foreach (var other in shaped)
        {
            foreach (string statistic in HeadStatistics.Names)
            {
                var moved = other.Statistics.Select(s => (s.Layer, s.Head, Before: first[s.Layer, s.Head].Value(statistic), After: s.Value(statistic)))
                    .Where(m => Math.Abs(m.After - m.Before) >= SmallestMove)
                    .OrderByDescending(m => Math.Abs(m.After - m.Before)).Take(3)
                    .Select(m => $"{m.Layer}.{m.Head}: {Format(m.Before)} → {Format(m.After)}").ToList();
                table.AppendLine($"- {other.ModelName}, {statistic}: {(moved.Count == 0 ? "no head moved" : string.Join("; ", moved))}");
            }
        }
        return table.ToString();
    }

    // The tables' precision: a smaller move prints as "0.000 → 0.000" and says nothing.
    private const double SmallestMove = 0.001;

    private static string Format(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
}
