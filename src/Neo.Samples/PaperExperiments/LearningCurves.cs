namespace PaperExperiments;

/// <summary>A PNG of learning curves with ScottPlot: held-out loss against step, one line per condition (the mean over
/// seeds, with each seed's curve faint behind it).</summary>
internal static class LearningCurves
{
    public static void Save(string path, IReadOnlyList<(string Condition, IReadOnlyList<double[][]> Seeds)> curves, string title, string yLabel)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int c = 0; c < curves.Count; c++)
        {
            var (condition, seeds) = curves[c];
            var color = palette.GetColor(c);
            foreach (var seed in seeds)
            {
                var faint = plot.Add.ScatterLine(seed.Select(p => p[0]).ToArray(), seed.Select(p => p[1]).ToArray(), color.WithAlpha(0.25));
                faint.LineWidth = 1;
            }
            // The mean over seeds at the steps every seed recorded.
            int points = seeds.Min(s => s.Length);
            var mean = plot.Add.ScatterLine(seeds[0].Take(points).Select(p => p[0]).ToArray(),
                Enumerable.Range(0, points).Select(i => seeds.Average(s => s[i][1])).ToArray(), color);
            mean.LineWidth = 2.5f;
            // A short run has one or two points per curve, which a line alone does not show.
            mean.MarkerSize = points < 10 ? 7 : 0;
            mean.LegendText = condition;
        }
        plot.Title(title);
        plot.XLabel("training step");
        plot.YLabel(yLabel);
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, 900, 560);
    }
}
