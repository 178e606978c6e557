using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Distillation;
using Neo.Cli.Measurement;
using Neo.Cli.Terminal;

namespace PaperExperiments;

/// <summary>
/// One training run of an experiment, measured: a progress bar, the held-out loss every few steps (the learning
/// curve), training wall time, and peak resident memory above what the process held before the run.
/// </summary>
internal static class MeasuredFit
{
    /// <param name="label">What the progress bar says.</param>
    /// <param name="monitoring">Held-out (prompt, reference) pairs whose loss makes the curve.</param>
    /// <param name="curveEvery">Steps between points of the curve (the last step is always one).</param>
    public static (NeoDistillTransformer Model, ExperimentRun Run) Fit(MLContext ml, NeoDistillOptions options, IDataView train, string label,
        IReadOnlyList<(string Prompt, string Response)> monitoring, int curveEvery, string condition, int seed, Func<NeoDistillTransformer, double> accuracy)
    {
        var curve = new List<double[]>();
        // The held-out loss every curveEvery steps (and after the last), measured by the run itself.
        options.ValidationData = ml.Data.LoadFromEnumerable(monitoring.Select(r => new MonitoredRow { Prompt = r.Prompt, Response = r.Response }).ToList());
        options.ValidationEverySteps = curveEvery;
        // Peak resident memory of this run alone: what earlier runs freed goes back to the OS first.
        ProcessMemory.Trim();
        ProcessMemory.ResetPeak();
        double? before = ProcessMemory.CurrentGiB;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = ProgressBar.Run(label, progress =>
        {
            options.Progress = new ProgressCallback<TrainingProgress>(p =>
            {
                if (p.ValidationLoss is double loss) curve.Add([p.Step, loss]);
                progress.Report(p);
            });
            // A run that libtorch's scalar race stops starts over (same seed, same result), its curve with it.
            return NativeRetry.Run(() =>
            {
                curve.Clear();
                return ml.Transforms.NeoDistill(options).Fit(train);
            }, message => Console.Error.WriteLine("warning: " + message), "from the start with the same seed");
        });
        double seconds = model.TrainingSummary?.Elapsed.TotalSeconds ?? clock.Elapsed.TotalSeconds;
        double? peak = ProcessMemory.PeakGiB - before;
        return (model, new ExperimentRun(condition, seed, accuracy(model), seconds, peak, curve.ToArray()));
    }

    private sealed class MonitoredRow
    {
        public string Prompt { get; set; } = "";
        public string Response { get; set; } = "";
    }
}
