namespace Microsoft.ML.Neo.Sweeps;

/// <summary>What a sweep measures for each trial.</summary>
public enum SweepMetric
{
    /// <summary>Mean cross-entropy of the student on the validation responses (minimise).</summary>
    ValidationLoss,
    /// <summary>exp(validation loss) (minimise).</summary>
    Perplexity,
    /// <summary>GSM8K-style answer accuracy of the student's completions on the validation prompts (maximise).</summary>
    AnswerAccuracy,
}

public enum TrialStatus
{
    Completed,
    /// <summary>Ended by the median rule; its metric is that of the model at the stop.</summary>
    StoppedEarly,
    /// <summary>Training threw; the message says why. The sweep goes on.</summary>
    Failed,
    /// <summary>Cut by the sweep's time budget; not used by the tuner.</summary>
    Cancelled,
}

/// <summary>One finished trial, as the trial log stores it.</summary>
/// <param name="Curve">Validation loss at the early-stopping checkpoints (step, loss), when early stopping is on.</param>
public sealed record SweepTrial(int Index, SweepParameters Parameters, double[] Point, double? Metric, double Seconds, TrialStatus Status,
    string? Message = null, IReadOnlyList<(int Step, double Loss)>? Curve = null);

/// <summary>Progress of a sweep: reported when a trial starts and when it ends.</summary>
/// <param name="Finished">The trial that just ended, or null when <paramref name="TrialIndex"/> is starting.</param>
public sealed record SweepProgress(int TrialIndex, int MaxTrials, SweepParameters Parameters, SweepTrial? Finished, SweepTrial? Best, TimeSpan Elapsed);
