using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// A hyperparameter sweep of NeoDistill, in the spirit of ML.NET AutoML's experiment API: set the data, the search
/// space, the tuner, the budget and the metric, then <see cref="Run"/>. Each trial fits NeoDistill with the tuner's
/// configuration on the training data and measures the metric on the validation data. Trials are appended to a
/// JSON-lines log as they end, and a sweep run again with the same log continues after its finished trials.
/// </summary>
public sealed class NeoSweepExperiment
{
    private readonly MLContext mlContext;
    private readonly NeoDistillOptions baseOptions;
    private long? trainRows;
    private IDataView? train, validation;
    private NeoSearchSpace space = new();
    private ISweepTuner? tuner;
    private int maxTrials = 20;
    private TimeSpan? trainingTime;
    private SweepMetric metric = SweepMetric.ValidationLoss;
    private bool? maximize;
    private string? logPath;
    private bool earlyStopping;
    private int stoppingCheckpoints = 4, minimumTrialsForStopping = 3;
    private IProgress<SweepProgress>? progress;

    /// <param name="baseOptions">Everything not searched (models, columns, batch size, seed...).</param>
    public NeoSweepExperiment(MLContext mlContext, NeoDistillOptions baseOptions)
    {
        this.mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        ArgumentNullException.ThrowIfNull(baseOptions);
        baseOptions.Validate();
        this.baseOptions = baseOptions.Clone();
    }

    /// <summary>Training rows, and the held-out rows each trial is measured on (same columns).</summary>
    public NeoSweepExperiment SetDataset(IDataView trainData, IDataView validationData)
    {
        train = trainData ?? throw new ArgumentNullException(nameof(trainData));
        validation = validationData ?? throw new ArgumentNullException(nameof(validationData));
        trainRows = null;
        return this;
    }

    public NeoSweepExperiment SetSearchSpace(NeoSearchSpace searchSpace)
    {
        ArgumentNullException.ThrowIfNull(searchSpace);
        searchSpace.Validate();
        space = searchSpace;
        return this;
    }

    /// <summary>Grid, random or SMAC (default: <see cref="SmacTuner"/> seeded with the base options' seed).</summary>
    public NeoSweepExperiment SetTuner(ISweepTuner sweepTuner)
    {
        tuner = sweepTuner ?? throw new ArgumentNullException(nameof(sweepTuner));
        return this;
    }

    /// <summary>Most trials, finished ones from the log included; 1 to 10000. Default 20.</summary>
    public NeoSweepExperiment SetMaxTrials(int trials)
    {
        if (trials is < 1 or > 10_000) throw new ArgumentOutOfRangeException(nameof(trials), trials, "The number of trials must be between 1 and 10000.");
        maxTrials = trials;
        return this;
    }

    /// <summary>Wall-clock budget of this run: no trial starts after it, and a trial still running when it ends is cancelled.</summary>
    public NeoSweepExperiment SetTrainingTime(TimeSpan budget)
    {
        if (budget <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(budget), budget, "The training time must be positive.");
        trainingTime = budget;
        return this;
    }

    /// <summary>The metric, and whether larger is better (default: minimise losses, maximise accuracy).</summary>
    public NeoSweepExperiment SetMetric(SweepMetric sweepMetric, bool? maximizeMetric = null)
    {
        if (!Enum.IsDefined(sweepMetric)) throw new ArgumentOutOfRangeException(nameof(sweepMetric), sweepMetric, "Unknown metric.");
        metric = sweepMetric;
        maximize = maximizeMetric;
        return this;
    }

    /// <summary>The JSON-lines trial log; an existing log of the same sweep is continued.</summary>
    public NeoSweepExperiment SetTrialLog(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        logPath = path;
        return this;
    }

    /// <summary>
    /// The median rule: at <paramref name="checkpoints"/> evenly spaced points of each trial, its validation loss is
    /// compared with the median of earlier trials' at the same point, and a trial worse than the median stops there.
    /// The rule starts once <paramref name="minimumTrials"/> trials have reached that point.
    /// </summary>
    public NeoSweepExperiment SetEarlyStopping(bool enabled = true, int checkpoints = 4, int minimumTrials = 3)
    {
        if (checkpoints < 1) throw new ArgumentOutOfRangeException(nameof(checkpoints), checkpoints, "At least one checkpoint is needed.");
        if (minimumTrials < 1) throw new ArgumentOutOfRangeException(nameof(minimumTrials), minimumTrials, "At least one trial must be compared with.");
        earlyStopping = enabled;
        stoppingCheckpoints = checkpoints;
        minimumTrialsForStopping = minimumTrials;
        return this;
    }

    public NeoSweepExperiment SetProgress(IProgress<SweepProgress> sweepProgress)
    {
        progress = sweepProgress;
        return this;
    }

    private bool Maximize => maximize ?? metric == SweepMetric.AnswerAccuracy;

    /// <summary>Runs the trials and returns them with the best model (refitted when its trial came from the log).</summary>
    public NeoSweepResult Run(CancellationToken cancellation = default)
    {
        if (train is null || validation is null) throw new InvalidOperationException("Call SetDataset(train, validation) before Run.");
        space.ValidateAgainst(baseOptions);
        var activeTuner = tuner ?? new SmacTuner(baseOptions.Seed);
        var dimensions = space.Dimensions.Select(d => d.Range).ToList();
        var host = ((IHostEnvironment)mlContext).Register(nameof(NeoSweepExperiment));
        using var channel = host.Start("NeoSweep");
        RequireTextColumns(validation, "validation");
        if (RowCount(validation) == 0) throw new ArgumentException("The validation data is empty.");

        var log = logPath is null ? null : new TrialLog(logPath);
        var trials = log?.Open(Describe(), LegacyDescribe()) ?? new List<SweepTrial>();
        if (trials.Count > 0) channel.Info(MessageSensitivity.None, "{0}", $"Continuing the sweep in '{logPath}' after {trials.Count} finished trials.");
        var clock = Stopwatch.StartNew();
        NeoDistillTransformer? bestModel = null;
        SweepTrial? bestTrial = Best(trials);
        try
        {
            while (trials.Count(t => t.Status != TrialStatus.Cancelled) < maxTrials)
            {
                cancellation.ThrowIfCancellationRequested();
                if (trainingTime is TimeSpan budget && clock.Elapsed >= budget)
                {
                    channel.Info(MessageSensitivity.None, "{0}", $"The time budget of {budget} is spent; no new trial starts.");
                    break;
                }
                var history = History(trials);
                var proposed = activeTuner.Propose(dimensions, history, space.Canonical);
                if (proposed is null)
                {
                    channel.Info(MessageSensitivity.None, "{0}", $"The tuner ({activeTuner.Name}) has nothing left to try.");
                    break;
                }
                var point = space.Canonical(proposed);
                int index = trials.Count == 0 ? 1 : trials.Max(t => t.Index) + 1;
                var parameters = space.FromUnit(point);
                progress?.Report(new SweepProgress(index, maxTrials, parameters, null, bestTrial, clock.Elapsed));
                channel.Info(MessageSensitivity.None, "{0}", $"Trial {index}: {parameters}");
                var (trial, model) = RunTrial(index, point, parameters, trials, clock, cancellation);
                trials.Add(trial);
                log?.Append(trial);
                channel.Info(MessageSensitivity.None, "{0}", $"Trial {index} {trial.Status}: {metric} {trial.Metric?.ToString("G5") ?? "-"} ({trial.Seconds:F0} s){(trial.Message is null ? "" : " " + trial.Message)}");
                if (model is not null && trial.Metric is double && (bestTrial?.Metric is not double || Loss(trial.Metric.Value) < Loss(bestTrial.Metric.Value)))
                {
                    bestModel?.Dispose();
                    bestModel = model;
                    bestTrial = trial;
                }
                else
                {
                    model?.Dispose();
                }
                progress?.Report(new SweepProgress(index, maxTrials, parameters, trial, bestTrial, clock.Elapsed));
            }

            if (bestTrial is null) throw new InvalidOperationException("No trial finished with a metric; see the trial log and mlContext.Log for why.");
            if (bestModel is null)
            {
                // The best trial came from the log of an earlier run: fit its configuration again (same seed, same model).
                channel.Info(MessageSensitivity.None, "{0}", $"Refitting the best configuration (trial {bestTrial.Index}): {bestTrial.Parameters}");
                var options = bestTrial.Parameters.ApplyTo(baseOptions);
                options.Cancellation = cancellation;
                bestModel = mlContext.Transforms.NeoDistill(options).Fit(train);
            }
            return new NeoSweepResult(trials, bestTrial, bestModel, metric, Maximize, space);
        }
        catch
        {
            bestModel?.Dispose();
            throw;
        }
    }

    private (SweepTrial Trial, NeoDistillTransformer? Model) RunTrial(int index, double[] point, SweepParameters parameters,
        IReadOnlyList<SweepTrial> previous, Stopwatch sweepClock, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var options = parameters.ApplyTo(baseOptions);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (trainingTime is TimeSpan total) budget.CancelAfter(total - sweepClock.Elapsed > TimeSpan.Zero ? total - sweepClock.Elapsed : TimeSpan.Zero);
        options.Cancellation = budget.Token;
        var curve = new List<(int Step, double Loss)>();
        bool stopped = false;
        if (earlyStopping)
        {
            // The validation loss at a few evenly spaced steps, compared with earlier trials' at the same steps (the
            // median rule); the run's own validation measures it, and StopEarly ends a trial that falls behind.
            options.ValidationData = validation;
            options.ValidationEverySteps = Math.Max(1, TotalSteps(options) / stoppingCheckpoints);
            options.StopEarly = step =>
            {
                if (step.ValidationLoss is not double loss || step.Step == step.TotalSteps) return false;
                curve.Add((step.Step, loss));
                var others = previous.Select(t => t.Curve?.FirstOrDefault(c => c.Step == step.Step)).Where(c => c is { Step: > 0 }).Select(c => c!.Value.Loss).ToList();
                if (others.Count < minimumTrialsForStopping) return false;
                stopped = loss > Median(others);
                return stopped;
            };
        }
        NeoDistillTransformer? model = null;
        try
        {
            model = mlContext.Transforms.NeoDistill(options).Fit(train!);
            double value = Measure(model);
            var status = stopped ? TrialStatus.StoppedEarly : TrialStatus.Completed;
            return (new SweepTrial(index, parameters, point, value, clock.Elapsed.TotalSeconds, status,
                stopped ? $"stopped at step {curve[^1].Step}: validation loss above the median of earlier trials" : null, earlyStopping ? curve : null), model);
        }
        // Only the time budget's cut is a cancelled trial; the caller's token and MLContext.CancelExecution (AutoML's way
        // to stop work, which Fit also obeys) end the sweep.
        catch (OperationCanceledException) when (budget.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            model?.Dispose();
            return (new SweepTrial(index, parameters, point, null, clock.Elapsed.TotalSeconds, TrialStatus.Cancelled, "the time budget ended during this trial"), null);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            model?.Dispose();
            return (new SweepTrial(index, parameters, point, null, clock.Elapsed.TotalSeconds, TrialStatus.Failed, e.Message), null);
        }
    }

    private double Measure(NeoDistillTransformer model) => metric switch
    {
        SweepMetric.ValidationLoss => model.ResponseLoss(validation!),
        SweepMetric.Perplexity => Math.Exp(model.ResponseLoss(validation!)),
        _ => mlContext.EvaluateAnswers(model.Transform(validation!), baseOptions.OutputColumnName, baseOptions.ResponseColumnName).Accuracy,
    };

    // Tuners minimise.
    private double Loss(double value) => Maximize ? -value : value;

    // What the tuner learns from: each measured trial's loss, and each failed trial at the worst loss measured (as SMAC
    // scores a crashed run), so a configuration that fails is not proposed again. Cancelled trials are not shown.
    private List<TunerObservation> History(IReadOnlyList<SweepTrial> trials)
    {
        var measured = trials.Where(t => t.Metric is double && t.Status != TrialStatus.Cancelled).ToList();
        double worst = measured.Count == 0 ? 0 : measured.Max(t => Loss(t.Metric!.Value));
        return trials.Where(t => t.Status != TrialStatus.Cancelled && (t.Metric is double || t.Status == TrialStatus.Failed))
            .Select(t => new TunerObservation(t.Point, t.Metric is double m ? Loss(m) : worst)).ToList();
    }

    private SweepTrial? Best(IEnumerable<SweepTrial> trials) =>
        trials.Where(t => t.Metric is double && t.Status != TrialStatus.Cancelled).MinBy(t => Loss(t.Metric!.Value));

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    // What must match for a log to be continued (SweepHeader says what), and the form an older version wrote.
    private string Describe() => SweepHeader.Describe(space.Describe(), metric.ToString(), Maximize, baseOptions);

    private string? LegacyDescribe() => SweepHeader.Legacy(space.Describe(), metric.ToString(), Maximize, baseOptions);

    // The steps a trial will take, as Fit counts them.
    private int TotalSteps(NeoDistillOptions options) => options.StepsFor(trainRows ??= RowCount(train!));

    // What the data view knows of its size, or a count through a cursor that reads no column.
    private static long RowCount(IDataView data)
    {
        if (data.GetRowCount() is long known) return known;
        long count = 0;
        using var cursor = data.GetRowCursor(Array.Empty<DataViewSchema.Column>());
        while (cursor.MoveNext()) count++;
        return count;
    }

    private void RequireTextColumns(IDataView data, string which)
    {
        foreach (var (name, option) in new[] { (baseOptions.PromptColumnName, nameof(NeoDistillOptions.PromptColumnName)),
                     (baseOptions.ResponseColumnName, nameof(NeoDistillOptions.ResponseColumnName)) })
        {
            var column = data.Schema.GetColumnOrNull(name);
            if (column?.Type is not TextDataViewType)
                throw new ArgumentException($"The {which} data has no text column '{name}' (NeoDistillOptions.{option}). " +
                    $"Columns: {string.Join(", ", data.Schema.Select(c => $"{c.Name} ({c.Type})"))}.");
        }
    }
}
