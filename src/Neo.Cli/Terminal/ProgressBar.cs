using System.Diagnostics;
using Microsoft.ML.Neo.Training;
using Spectre.Console;

namespace Neo.Cli.Terminal;

/// <summary>Runs work that reports <see cref="TrainingProgress"/> under a console progress bar.</summary>
internal static class ProgressBar
{
    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(100);

    /// <remarks>
    /// The bar is redrawn from the progress callback, on the training thread, not by Spectre's refresh thread. Why: a
    /// second thread that allocates while training runs can start a garbage collection during a native TorchSharp
    /// call, and the finalizer may then free a <c>Scalar</c> that TorchSharp 0.107 made for that call but no longer
    /// references (it passes the handle without keeping the object alive); libtorch then reads a freed scalar and
    /// fails with "Expected false to be true" from <c>toFloat</c>. It happened once in about 25 priming-experiment runs.
    /// The refresh thread was the one other thread allocating steadily there; without it the race should be rarer (not
    /// measured), not impossible (the runtime's own threads allocate too). docs/using-in-your-app.md has the details.
    /// </remarks>
    public static T Run<T>(string title, Func<IProgress<TrainingProgress>, T> work)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .AutoRefresh(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(title, maxValue: 1);
                context.Refresh();
                var sinceRedraw = Stopwatch.StartNew();
                result = work(new ProgressCallback<TrainingProgress>(p =>
                {
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                    task.Description = $"{title} ce {p.CrossEntropy:F3} kd {p.Divergence:F3} {p.TokensPerSecond:F0} tok/s";
                    if (sinceRedraw.Elapsed < RedrawEvery && p.Step < p.TotalSteps) return;
                    context.Refresh();
                    sinceRedraw.Restart();
                }));
                context.Refresh();
            });
        return result;
    }
}
