namespace Microsoft.ML.Neo;

/// <summary>A snapshot of a training run, reported after every optimizer step.</summary>
/// <param name="Step">Steps done so far (1-based).</param>
/// <param name="TotalSteps">Steps the run will take.</param>
/// <param name="Epoch">Current epoch (1-based).</param>
/// <param name="Loss">The mixed loss of this step.</param>
/// <param name="CrossEntropy">The cross-entropy term of this step, before weighting.</param>
/// <param name="Divergence">The KD term of this step (T² · KL), before weighting; 0 without a teacher.</param>
/// <param name="TokensSeen">Training tokens (all positions of the padded batches) processed so far.</param>
/// <param name="TokensPerSecond">TokensSeen per second of training so far.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="Remaining">Estimated time to the end of the run.</param>
public sealed record TrainingProgress(
    int Step, int TotalSteps, int Epoch, double Loss, double CrossEntropy, double Divergence,
    long TokensSeen, double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining)
{
    /// <summary>Where this step's time went (teacher forward, student forward, loss, backward, optimizer).</summary>
    public StepPhases? Phases { get; init; }

    /// <summary>
    /// The mean cross-entropy of the response tokens of <see cref="NeoDistillOptions.ValidationData"/>, measured after
    /// this step; null on steps without a validation (see <see cref="NeoDistillOptions.ValidationEverySteps"/>).
    /// </summary>
    public double? ValidationLoss { get; init; }

    /// <summary>
    /// The share (0..1) of validation rows whose greedy completion gives the reference's final number, measured with
    /// the loss when <see cref="NeoDistillOptions.ValidateAnswerAccuracy"/> is set; null otherwise.
    /// </summary>
    public double? ValidationAccuracy { get; init; }

    /// <summary>The lowest validation loss so far (this step's included), or null before the first validation.</summary>
    public double? BestValidationLoss { get; init; }

    /// <summary>The step that measured <see cref="BestValidationLoss"/>: with <see cref="NeoDistillOptions.KeepBestWeights"/>,
    /// the step whose weights the finished model has.</summary>
    public int? BestValidationStep { get; init; }

    /// <summary>The learning rate this step was taken with (after the warm-up and <see cref="NeoDistillOptions.Schedule"/>).</summary>
    public double LearningRate { get; init; }

    /// <summary>The global L2 norm of this step's gradients before clipping (<see cref="NeoDistillOptions.MaxGradientNorm"/>).</summary>
    public double GradientNorm { get; init; }

    public override string ToString() =>
        $"step {Step}/{TotalSteps} epoch {Epoch} loss {Loss:F4} (ce {CrossEntropy:F4}, kd {Divergence:F4}) " +
        (ValidationLoss is double validation ? $"validation {validation:F4} " : "") +
        (ValidationAccuracy is double accuracy ? $"accuracy {accuracy:P1} " : "") +
        $"{TokensPerSecond:F0} tok/s eta {Remaining:mm\\:ss}";
}
