namespace Microsoft.ML.Neo.Training;

/// <summary>
/// Optimisation settings of one <see cref="CausalLMTrainer"/> run, already validated by the public options that made them.
/// The loss has its own settings, in the objective.
/// </summary>
internal sealed record TrainerSettings
{
    public int Epochs { get; init; } = 1;
    public int BatchSize { get; init; } = 8;
    public double LearningRate { get; init; } = 2e-4;
    public double WeightDecay { get; init; }
    /// <summary>Fraction of steps spent warming the learning rate up linearly; the rest decays it by a cosine to 10%.</summary>
    public double WarmupFraction { get; init; } = 0.05;
    /// <summary>Gradients are clipped to this global norm.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public int Seed { get; init; } = 1;
    /// <summary>Stops after this many optimizer steps even if epochs remain; 0 means no limit.</summary>
    public int MaxSteps { get; init; }

    /// <summary>What else identifies the run for checkpoints (e.g. the model folders); part of the fingerprint.</summary>
    public string? RunIdentity { get; init; }

    /// <summary>Folder for resumable checkpoints; null or empty disables them.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Steps between checkpoints (one is also written at the end).</summary>
    public int CheckpointEverySteps { get; init; } = 100;

    /// <summary>Non-finite steps skipped (with a warning) before one stops the run; 0 stops at the first.</summary>
    public int MaxSkippedNonFiniteSteps { get; init; }
}
