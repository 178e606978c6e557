namespace Microsoft.ML.Neo.Sweeps;

/// <summary>A PNG of a sweep with ScottPlot: the metric per trial, and against LoRA rank and KD temperature.</summary>
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

        // Three panels side by side on one canvas.
        var panels = new[] { perTrial, byRank, byTemperature };
        int panelWidth = width / panels.Length;
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(panelWidth * panels.Length, height));
        surface.Canvas.Clear(SkiaSharp.SKColors.White);
        for (int i = 0; i < panels.Length; i++)
        {
            // Each panel on its own surface: rendering clears the whole canvas it is given.
            using var panel = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(panelWidth, height));
            panels[i].Render(panel);
            using var drawn = panel.Snapshot();
            surface.Canvas.DrawImage(drawn, i * panelWidth, 0);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var image = surface.Snapshot();
        using var png = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        png.SaveTo(file);
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
}
