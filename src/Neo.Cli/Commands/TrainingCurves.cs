namespace Neo.Cli.Commands;

/// <summary>
/// neo distill --plot: a PNG of the run's learning curves with ScottPlot, the training loss at every step and the
/// validation loss where it was measured, with the best validation step marked.
/// </summary>
internal static class TrainingCurves
{
    public static void Save(string path, IReadOnlyList<TrainingProgress> steps)
    {
        var plot = new ScottPlot.Plot();
        var training = plot.Add.ScatterLine(steps.Select(s => (double)s.Step).ToArray(), steps.Select(s => s.Loss).ToArray());
        training.LegendText = "training loss (this step's batch)";
        training.LineWidth = 1;
        var validated = steps.Where(s => s.ValidationLoss is not null).ToList();
        if (validated.Count > 0)
        {
            var validation = plot.Add.ScatterLine(validated.Select(s => (double)s.Step).ToArray(), validated.Select(s => s.ValidationLoss!.Value).ToArray());
            validation.LegendText = "validation loss";
            validation.LineWidth = 2.5f;
            validation.MarkerSize = 6;
            if (steps[^1].BestValidationStep is int bestStep && steps[^1].BestValidationLoss is double bestLoss)
            {
                var best = plot.Add.Marker(bestStep, bestLoss);
                best.Size = 14;
                best.LegendText = $"best: step {bestStep}";
            }
        }
        plot.Title("neo distill: learning curves");
        plot.XLabel("optimizer step");
        plot.YLabel("loss");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, 900, 560);
    }
}
