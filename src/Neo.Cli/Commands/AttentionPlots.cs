using Microsoft.ML.Neo.Analysis;

namespace Neo.Cli.Commands;

/// <summary>
/// neo attention's PNGs with ScottPlot: one text's attention maps (a grid of layers × heads), and the head-by-head
/// comparison (a grid of statistics × models, each panel a heads × layers heatmap on the statistic's shared scale).
/// </summary>
internal static class AttentionPlots
{
    /// <summary>Every layer's and head's map of one text, query rows top to bottom, keys left to right.</summary>
    public static void SaveMaps(AttentionReport report, int textIndex, string path, int panel = 260)
    {
        var text = report.Texts[textIndex];
        var panels = new List<ScottPlot.Plot>();
        for (int layer = 0; layer < report.Layers; layer++)
        {
            for (int head = 0; head < report.Heads; head++)
            {
                var map = text.Map(layer, head);
                var plot = Heatmap(ToDouble(map), 0, 1);
                plot.Title($"layer {layer}, head {head}", TitleSize);
                panels.Add(plot);
            }
        }
        Panels.Save(panels, report.Heads, panel, panel, path,
            $"{report.ModelName}: attention of each query (row) over the keys (columns) for \"{Shorten(text.Text)}\" ({text.Tokens.Count} tokens)");
    }

    /// <summary>A row per statistic, a column per model: each panel the statistic of every head (x) in every layer (y).</summary>
    public static void SaveComparison(IReadOnlyList<AttentionReport> reports, string path, int panel = 260)
    {
        var panels = new List<ScottPlot.Plot>();
        foreach (string statistic in HeadStatistics.Names)
        {
            // One colour scale per statistic, shared by the models, so the panels of a row compare.
            double low = reports.Min(r => r.Statistics.Min(s => s.Value(statistic)));
            double high = reports.Max(r => r.Statistics.Max(s => s.Value(statistic)));
            foreach (var report in reports)
            {
                var values = new double[report.Layers, report.Heads];
                foreach (var s in report.Statistics) values[s.Layer, s.Head] = s.Value(statistic);
                var plot = Heatmap(values, low, high, colorBar: report == reports[^1]);
                // Two short lines fit a panel; "styled-teacher-primed: Entropy" on one does not.
                plot.Title($"{report.ModelName}\n{statistic}{(high - low < 1e-12 ? $" ({low:F3} everywhere)" : "")}", TitleSize);
                plot.XLabel("head");
                plot.YLabel("layer");
                WholeTicks(plot.Axes.Bottom, report.Heads);
                WholeTicks(plot.Axes.Left, report.Layers);
                panels.Add(plot);
            }
        }
        Panels.Save(panels, reports.Count, panel + 40, panel, path, "Attention statistics per head (x: head, y: layer, layer 0 on top; one colour scale per row)");
    }

    private const float TitleSize = 13;

    // One tick per cell (layer or head), labelled with its index: the default ticks fall between cells at 0.5 steps.
    private static void WholeTicks(ScottPlot.IAxis axis, int cells)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        int step = Math.Max(1, cells / 8);
        for (int i = 0; i < cells; i += step) ticks.AddMajor(i, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        axis.TickGenerator = ticks;
    }

    private static ScottPlot.Plot Heatmap(double[,] values, double low, double high, bool colorBar = false)
    {
        var plot = new ScottPlot.Plot();
        // ScottPlot draws the array's row 0 at the top of the heatmap whatever the axis direction; with the y axis
        // inverted, row r sits at y = r, so query 0 (or layer 0) is on top and labelled 0, as a matrix is read.
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(low, high == low ? low + 1e-9 : high);
        if (colorBar) plot.Add.ColorBar(heatmap);
        plot.Axes.Margins(0, 0);
        plot.Axes.InvertY(); // after the margins, which would reset it
        return plot;
    }

    private static double[,] ToDouble(float[,] map)
    {
        var result = new double[map.GetLength(0), map.GetLength(1)];
        for (int i = 0; i < map.GetLength(0); i++)
            for (int j = 0; j < map.GetLength(1); j++) result[i, j] = map[i, j];
        return result;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text.ReplaceLineEndings(" ") : text[..57].ReplaceLineEndings(" ") + "...";
}

/// <summary>Panels drawn side by side in rows on one PNG, under a caption.</summary>
internal static class Panels
{
    public static void Save(IReadOnlyList<ScottPlot.Plot> panels, int columns, int panelWidth, int panelHeight, string path, string caption)
    {
        using var font = new SkiaSharp.SKFont { Size = 16 };
        // The caption wraps at the image's width, so a narrow figure (one or two models) shows all of it.
        var lines = Wrap(caption, panelWidth * columns - 20, font);
        int captionHeight = 12 + 22 * lines.Count;
        int rows = (panels.Count + columns - 1) / columns;
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(panelWidth * columns, panelHeight * rows + captionHeight));
        surface.Canvas.Clear(SkiaSharp.SKColors.White);
        using (var paint = new SkiaSharp.SKPaint { Color = SkiaSharp.SKColors.Black, IsAntialias = true })
        {
            for (int i = 0; i < lines.Count; i++) surface.Canvas.DrawText(lines[i], 10, 24 + 22 * i, font, paint);
        }
        for (int i = 0; i < panels.Count; i++)
        {
            // Each panel on its own surface: rendering clears the whole canvas it is given.
            using var panel = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(panelWidth, panelHeight));
            panels[i].Render(panel);
            using var drawn = panel.Snapshot();
            surface.Canvas.DrawImage(drawn, i % columns * panelWidth, captionHeight + i / columns * panelHeight);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var image = surface.Snapshot();
        using var png = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        png.SaveTo(file);
    }

    /// <summary>Words into lines no wider than <paramref name="width"/> pixels in <paramref name="font"/>.</summary>
    public static List<string> Wrap(string text, float width, SkiaSharp.SKFont font)
    {
        var lines = new List<string>();
        string line = "";
        foreach (string word in text.Split(' '))
        {
            string longer = line.Length == 0 ? word : line + " " + word;
            if (line.Length > 0 && font.MeasureText(longer) > width)
            {
                lines.Add(line);
                line = word;
            }
            else
            {
                line = longer;
            }
        }
        if (line.Length > 0) lines.Add(line);
        return lines;
    }
}
