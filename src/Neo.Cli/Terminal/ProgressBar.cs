using Microsoft.ML.Neo.Training;
using Spectre.Console;

namespace Neo.Cli.Terminal;

/// <summary>Runs work that reports <see cref="TrainingProgress"/> under a console progress bar.</summary>
internal static class ProgressBar
{
    public static T Run<T>(string title, Func<IProgress<TrainingProgress>, T> work)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(title, maxValue: 1);
                result = work(new ProgressCallback<TrainingProgress>(p =>
                {
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                    task.Description = $"{title} ce {p.CrossEntropy:F3} kd {p.Divergence:F3} {p.TokensPerSecond:F0} tok/s";
                }));
            });
        return result;
    }
}
