using System.Diagnostics;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Training;

/// <summary>
/// Trains the parameters of a student that require gradients (LoRA adapters, or every weight for full training)
/// on the batches of an <see cref="IBatchSource"/>, minimising an <see cref="ITrainingObjective"/>. AdamW, warm-up then
/// a cosine, linear or constant schedule, gradient clipping, gradient accumulation over micro-batches. Every step runs in its own dispose scope, so memory stays flat however long the run.
/// </summary>
internal sealed class CausalLMTrainer
{
    private readonly DecoderForCausalLM student;
    private readonly IBatchSource batches;
    private readonly ITrainingObjective objective;
    private readonly TrainerSettings settings;
    private readonly int padId;

    public CausalLMTrainer(DecoderForCausalLM student, IBatchSource batches, ITrainingObjective objective, TrainerSettings settings, int padId)
    {
        this.student = student;
        this.batches = batches;
        this.objective = objective;
        this.settings = settings;
        this.padId = padId;
    }

    /// <summary>Told what went wrong but did not stop the run (an unreadable checkpoint replaced by an older one, a skipped step).</summary>
    public Action<string>? OnWarning { get; init; }

    /// <summary>Told what the run decided on its own (an early stop, the best weights kept).</summary>
    public Action<string>? OnInformation { get; init; }

    /// <summary>Called after each step.</summary>
    public Action<TrainingProgress>? OnStep { get; init; }

    /// <summary>
    /// Asked after each step with (step, total steps), before <see cref="OnStep"/>: a value is reported as the step's
    /// <see cref="TrainingProgress.ValidationLoss"/>.
    /// </summary>
    public Func<int, int, double?>? ValidationLossAt { get; init; }

    /// <summary>Asked on the steps <see cref="ValidationLossAt"/> measured: the validation answer accuracy, or null.</summary>
    public Func<int, double?>? ValidationAccuracyAt { get; init; }

    /// <summary>Asked after each step (after <see cref="OnStep"/>); true ends training there, keeping what was learned.</summary>
    public Func<TrainingProgress, bool>? StopAfter { get; init; }

    /// <returns>The last step's progress, or null when there was nothing to train.</returns>
    public TrainingProgress? Train(CancellationToken cancellation = default)
    {
        var named = student.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        var trainable = named.Select(p => p.parameter).ToList();
        if (trainable.Count == 0) throw new InvalidOperationException("The student has no trainable parameters.");
        int totalSteps = StepCount.Total(batches.StepsPerEpoch, settings.Epochs, settings.MaxSteps);
        if (totalSteps == 0) return null;
        int warmupSteps = (int)Math.Ceiling(totalSteps * settings.WarmupFraction);

        using var optimizer = new AdamW(named, settings.LearningRate, settings.WeightDecay, settings.Beta1, settings.Beta2, settings.Epsilon);
        var checkpoint = string.IsNullOrEmpty(settings.CheckpointDirectory) ? null
            : new TrainingCheckpoint(settings.CheckpointDirectory, DescribeRun(named)) { OnWarning = OnWarning };
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        int step = 0, resumedAt = 0, savedAt = 0, skipped = 0;
        if (checkpoint is { Exists: true })
        {
            // The epochs are replayed below and the batches before the checkpoint skipped, so the run continues exactly.
            (resumedAt, tokens) = checkpoint.Restore(named, optimizer);
            savedAt = resumedAt;
        }
        long tokensBefore = tokens; // throughput counts only this run's work
        TrainingProgress? last = null;
        using var best = new BestValidation(named, settings.KeepBestWeights);
        bool stopped = false;
        student.train();
        try
        {
            for (int epoch = 1; epoch <= settings.Epochs && step < totalSteps && !stopped; epoch++)
            {
                foreach (var batch in batches.Epoch(epoch))
                {
                    if (step >= totalSteps) break;
                    if (cancellation.IsCancellationRequested)
                    {
                        // Keep the steps since the last checkpoint: the same run started again continues from here.
                        if (checkpoint is not null && step > savedAt) checkpoint.Save(named, optimizer, step, tokens);
                        cancellation.ThrowIfCancellationRequested();
                    }
                    if (step < resumedAt)
                    {
                        step++;
                        continue;
                    }
                    optimizer.LearningRate = LearningRateAt(step, totalSteps, warmupSteps);

                    var phases = new StepPhases();
                    var examples = batches.Realize(batch, student, step, phases);
                    var (loss, crossEntropy, divergence, gradientNorm, batchTokens) = Step(optimizer, trainable, examples, phases);
                    step++;
                    if (!double.IsFinite(loss) || !double.IsFinite(gradientNorm))
                    {
                        // The optimizer did not step: the weights, moments and checkpoints still hold the last good state.
                        if (skipped >= settings.MaxSkippedNonFiniteSteps)
                            throw new NonFiniteLossException(step, loss, crossEntropy, divergence, gradientNorm, skipped,
                                checkpoint is null ? null : savedAt > 0
                                    ? $"The checkpoint of step {savedAt} in '{settings.CheckpointDirectory}' is the last good state and was kept."
                                    : "No checkpoint had been written yet.");
                        skipped++;
                        OnWarning?.Invoke($"Step {step}: the loss ({loss:G4}: cross-entropy {crossEntropy:G4}, divergence {divergence:G4}) " +
                                          $"or gradient norm ({gradientNorm:G4}) is not finite; the step was skipped " +
                                          $"({skipped} of at most {settings.MaxSkippedNonFiniteSteps}).");
                    }
                    tokens += batchTokens;
                    double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    int stepsThisRun = step - resumedAt;
                    double? validationLoss = ValidationLossAt?.Invoke(step, totalSteps);
                    if (validationLoss is double measured) best.Observe(step, measured);
                    double? validationAccuracy = validationLoss is null ? null : ValidationAccuracyAt?.Invoke(step);
                    last = new TrainingProgress(step, totalSteps, epoch, loss, crossEntropy, divergence,
                        tokens, (tokens - tokensBefore) / seconds, clock.Elapsed, TimeSpan.FromSeconds(seconds / stepsThisRun * (totalSteps - step)))
                    {
                        Phases = phases, ValidationLoss = validationLoss, ValidationAccuracy = validationAccuracy,
                        LearningRate = optimizer.LearningRate, GradientNorm = gradientNorm,
                        BestValidationLoss = best.Loss, BestValidationStep = best.Step,
                    };
                    if (checkpoint is not null && (step % settings.CheckpointEverySteps == 0 || step == totalSteps))
                    {
                        checkpoint.Save(named, optimizer, step, tokens);
                        savedAt = step;
                    }
                    OnStep?.Invoke(last);
                    if (StopAfter?.Invoke(last) == true) stopped = true;
                    else if (settings.EarlyStoppingPatience > 0 && best.ValidationsSinceBest >= settings.EarlyStoppingPatience)
                    {
                        OnInformation?.Invoke($"Early stopping at step {step}: {best.ValidationsSinceBest} validations without a loss below " +
                                              $"{best.Loss:F4} (step {best.Step}).");
                        stopped = true;
                    }
                    if (stopped) break;
                }
            }
            if (best.Restore() is int restored && last is not null && restored != last.Step)
                OnInformation?.Invoke($"Kept the weights of step {restored}, whose validation loss {best.Loss:F4} is the lowest of {best.Count} " +
                                      $"validations (the last step's: {last.ValidationLoss?.ToString("F4") ?? "not measured"}).");
        }
        finally
        {
            student.eval();
        }
        return last;
    }

    // What must match for a checkpoint to continue this run: settings, loss, data and the trainable parameters' shapes.
    private string DescribeRun(IEnumerable<(string Name, Parameter Parameter)> named)
    {
        var description = new System.Text.StringBuilder();
        // The micro-batch changes memory, not the update (up to float rounding): a run may resume with another one,
        // for example a smaller one after running out of memory.
        description.Append(settings with { CheckpointDirectory = null, CheckpointEverySteps = 0, MicroBatchSize = 0 });
        description.Append(";weights=").Append(student.WeightDtype);
        description.Append(';').Append(objective.Describe());
        description.Append(batches.Describe());
        foreach (var (name, parameter) in named) description.Append(';').Append(name).Append(':').AppendJoin('x', parameter.shape);
        return description.ToString();
    }

    // Applies the step only when its loss and gradient norm are finite (the next step zeroes the gradients either way);
    // returns both. The examples run in micro-batches (all at once without accumulation), each in its own dispose
    // scope; every micro-batch's loss is a mean over the whole step's response tokens, so their gradients add up to the
    // whole batch's and the step is the same update whatever the micro-batch.
    private (double Loss, double CrossEntropy, double Divergence, double GradientNorm, long Tokens) Step(
        AdamW optimizer, IList<Parameter> trainable, IReadOnlyList<EncodedExample> examples, StepPhases phases)
    {
        using var scope = NewDisposeScope();
        using (phases.Time(TrainingPhase.Optimizer)) optimizer.ZeroGrad();
        long stepResponseRows = TokenBatch.CountResponseTokens(examples);
        int microBatch = settings.MicroBatchSize > 0 ? settings.MicroBatchSize : examples.Count;
        double total = 0, crossEntropy = 0, divergence = 0;
        long tokens = 0;
        foreach (var part in examples.Chunk(microBatch))
        {
            using var microScope = NewDisposeScope();
            var batch = TokenBatch.Create(part, padId, student.Device);
            var terms = objective.Backward(student, batch, phases, stepResponseRows);
            total += terms.Total;
            crossEntropy += terms.CrossEntropy;
            divergence += terms.Divergence;
            tokens += batch.Inputs.numel();
            // A non-finite part makes the step's loss non-finite: the rest would not be applied either.
            if (!double.IsFinite(terms.Total)) break;
        }
        double gradientNorm = double.NaN;
        using (phases.Time(TrainingPhase.Optimizer))
        {
            if (double.IsFinite(total))
            {
                gradientNorm = nn.utils.clip_grad_norm_(trainable, settings.MaxGradNorm);
                if (double.IsFinite(gradientNorm)) optimizer.Step();
            }
        }
        return (total, crossEntropy, divergence, gradientNorm, tokens);
    }

    private double LearningRateAt(int step, int totalSteps, int warmupSteps)
    {
        if (step < warmupSteps) return settings.LearningRate * (step + 1) / warmupSteps;
        switch (settings.Schedule)
        {
            case LearningRateSchedule.Constant:
                return settings.LearningRate;
            case LearningRateSchedule.Linear:
                // transformers' linear schedule: from the peak at the first step after the warm-up towards 0 at totalSteps.
                return settings.LearningRate * (totalSteps - step) / Math.Max(1, totalSteps - warmupSteps);
            default:
                double progress = totalSteps - warmupSteps <= 1 ? 1 : (double)(step - warmupSteps) / (totalSteps - warmupSteps - 1);
                double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
                return settings.LearningRate * (0.1 + 0.9 * cosine);
        }
    }
}
