namespace Microsoft.ML.Neo.Sweeps;

/// <summary>PNGs of a sweep with ScottPlot: the metric per trial and against rank and temperature; and what each dimension did.</summary>
internal static class SweepPlot
{
    public static void Save(NeoSweepResult result, string path, int width = 1500, int height = 450)
    {
        var measured = result.Trials.Where(t => t.Metric is double).ToList();
        if (measured.Count == 0) throw new InvalidOperationException("No trial has a metric to plot.");
        string metric = result.Metric.ToString();
        var perTrial = new ScottPlot.Plot();
        perTrial.Add.Scatter(measured.Select(t => (double)t.Index).ToArray(), measured.Select(t => t.Metric!.Value).ToArray());
        perTrial.Add.Marker(result.BestTrial.Index, result.BestTrial.Metric!.Value, ScottPlot.MarkerShape.OpenCircle, 18, ScottPlot.Colors.Red);
        perTrial.Title($"{metric} per trial (best circled)");
        perTrial.XLabel("trial");
        perTrial.YLabel(metric);
        var byRank = Scatter(measured.Select(t => Math.Log2(t.Parameters.LoraRank)).ToArray(), measured, "log2(LoRA rank)", $"{metric} vs LoRA rank");
        var byTemperature = Scatter(measured.Select(t => Math.Log2(t.Parameters.Temperature)).ToArray(), measured, "log2(KD temperature)", $"{metric} vs temperature");
        var panels = new[] { perTrial, byRank, byTemperature };
        SavePanels(panels, columns: panels.Length, width / panels.Length, height, path);
    }

    /// <summary>
    /// One panel per searched dimension: each trial's metric against the dimension's value (points) and the partial
    /// dependence (line), on the dimension's own scale; categories by name.
    /// </summary>
    public static void SaveDependence(NeoSweepResult result, IReadOnlyList<DimensionDependence> dependences, string path, int panelWidth = 450, int panelHeight = 380)
    {
        if (dependences.Count == 0) throw new InvalidOperationException("The sweep searched no dimension (every range is fixed); there is nothing to plot.");
        string metric = result.Metric.ToString();
        var panels = new List<ScottPlot.Plot>();
        foreach (var dependence in dependences)
        {
            var plot = new ScottPlot.Plot();
            double X(double value) => dependence.LogScale ? Math.Log2(value) : value;
            var points = plot.Add.ScatterPoints(dependence.Trials.Select(t => X(t.Value)).ToArray(), dependence.Trials.Select(t => t.Metric).ToArray());
            points.MarkerSize = 8;
            points.LegendText = "trials";
            if (dependence.Curve.Count > 0)
            {
                var xs = dependence.Curve.Select(c => X(c.Value)).ToArray();
                var ys = dependence.Curve.Select(c => c.Metric).ToArray();
                var curve = dependence.Categories is null ? plot.Add.ScatterLine(xs, ys) : plot.Add.ScatterPoints(xs, ys);
                curve.Color = ScottPlot.Colors.Red;
                curve.LineWidth = dependence.Categories is null ? 2.5f : 0;
                curve.MarkerSize = dependence.Categories is null ? 0 : 14;
                curve.MarkerShape = ScottPlot.MarkerShape.FilledDiamond;
                curve.LegendText = "partial dependence";
            }
            if (dependence.Categories is { } categories)
            {
                plot.Axes.Bottom.SetTicks(Enumerable.Range(0, categories.Count).Select(i => (double)i).ToArray(), categories.ToArray());
                plot.Axes.SetLimitsX(-0.5, categories.Count - 0.5);
            }
            plot.Title($"{dependence.Dimension}: spread {dependence.Spread:G2}");
            plot.XLabel(dependence.LogScale ? $"log2({dependence.Dimension})" : dependence.Dimension);
            plot.YLabel(metric);
            plot.ShowLegend(ScottPlot.Edge.Bottom); // below the axes: inside them it covered trial points
            panels.Add(plot);
        }
        SavePanels(panels, columns: Math.Min(4, panels.Count), panelWidth, panelHeight, path);
    }

    private static ScottPlot.Plot Scatter(double[] xs, IReadOnlyList<SweepTrial> trials, string xLabel, string title)
    {
        var plot = new ScottPlot.Plot();
        var points = plot.Add.ScatterPoints(xs, trials.Select(t => t.Metric!.Value).ToArray());
        points.MarkerSize = 9;
        plot.Title(title);
        plot.XLabel(xLabel);
        return plot;
    }

    // The panels in rows of <columns> on one canvas, written as a PNG.
    private static void SavePanels(IReadOnlyList<ScottPlot.Plot> panels, int columns, int panelWidth, int panelHeight, string path)
    {
        int rows = (panels.Count + columns - 1) / columns;
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(panelWidth * columns, panelHeight * rows));
        surface.Canvas.Clear(SkiaSharp.SKColors.White);
        for (int i = 0; i < panels.Count; i++)
        {
            // Each panel on its own surface: rendering clears the whole canvas it is given.
            using var panel = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(panelWidth, panelHeight));
            panels[i].Render(panel);
            using var drawn = panel.Snapshot();
            surface.Canvas.DrawImage(drawn, i % columns * panelWidth, i / columns * panelHeight);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var image = surface.Snapshot();
        using var png = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        png.SaveTo(file);
    }
}
