namespace Microsoft.ML.Neo.Training;

/// <summary>
/// Optimisation settings of one <see cref="CausalLMTrainer"/> run, already validated by the public options that made them.
/// The loss has its own settings, in the objective.
/// </summary>
internal sealed record TrainerSettings
{
    public int Epochs { get; init; } = 1;
    public int BatchSize { get; init; } = 8;
    /// <summary>
    /// Examples per forward and backward pass; a step's <see cref="BatchSize"/> examples run in micro-batches of this
    /// many, their gradients summed before the one optimizer step. 0: the whole batch at once.
    /// </summary>
    public int MicroBatchSize { get; init; }
    public double LearningRate { get; init; } = 2e-4;
    public double WeightDecay { get; init; }
    /// <summary>Fraction of steps spent warming the learning rate up linearly; then <see cref="Schedule"/>.</summary>
    public double WarmupFraction { get; init; } = 0.05;
    /// <summary>The learning rate after the warm-up.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine;
    /// <summary>Gradients are clipped to this global norm; infinity: not clipped (the norm is still measured).</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>AdamW's moment decay rates and denominator term.</summary>
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;
    public int Seed { get; init; } = 1;
    /// <summary>Stops after this many optimizer steps even if epochs remain; 0 means no limit.</summary>
    public int MaxSteps { get; init; }

    /// <summary>What else identifies the run for checkpoints (e.g. the model folders); part of the fingerprint.</summary>
    public string? RunIdentity { get; init; }

    /// <summary>Folder for resumable checkpoints; null or empty disables them.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Steps between checkpoints (one is also written at the end).</summary>
    public int CheckpointEverySteps { get; init; } = 100;

    /// <summary>Validations in a row without a new best loss after which training stops; 0: never.</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary>At the end, put back the trainable weights of the step with the lowest validation loss.</summary>
    public bool KeepBestWeights { get; init; }

    /// <summary>Non-finite steps skipped (with a warning) before one stops the run; 0 stops at the first.</summary>
    public int MaxSkippedNonFiniteSteps { get; init; }
}
