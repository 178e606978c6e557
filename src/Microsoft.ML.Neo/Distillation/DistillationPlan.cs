using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.OnPolicy;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Training;

namespace Microsoft.ML.Neo.Distillation;

/// <summary>How examples are made from rows: what the teacher reads and produces, and how long sequences may be.</summary>
/// <param name="Mode">Logits (the teacher scores the references) or Sequence (it writes the responses).</param>
/// <param name="Priming">What the teacher's prompt adds to the student's.</param>
/// <param name="PrimingTemplate">The custom priming template, when <paramref name="Priming"/> is Custom.</param>
/// <param name="TeacherMaxNewTokens">Most tokens of a teacher generation.</param>
/// <param name="MaxSequenceLength">Longest training sequence; 0 for the model's context.</param>
internal sealed record DataPolicy(DistillationMode Mode, PrimingStrategy Priming, string? PrimingTemplate, int TeacherMaxNewTokens,
    int MaxSequenceLength)
{
    /// <summary>Sequence mode: compare each teacher response's answer with the reference's.</summary>
    public bool VerifyAnswers { get; init; }

    /// <summary>With <see cref="VerifyAnswers"/>: the loss weight of a response whose answer disagrees (0: dropped).</summary>
    public float MismatchedAnswerWeight { get; init; }
}

/// <summary>
/// Everything one distillation run needs, independent of ML.NET, resolved: <see cref="NeoDistillOptions.ToPlan"/> is
/// the one place that builds it, so the options are the one place that holds defaults (every member here is required)
/// and their validation; which teacher a run uses is the plan's <see cref="Teacher"/>.
/// </summary>
internal sealed record DistillationPlan
{
    public required string StudentModelPath { get; init; }

    /// <summary>The teacher's kind and settings; null when no teacher is asked (KdWeight 0 in Logits mode).</summary>
    public required TeacherSource? Teacher { get; init; }

    /// <summary>What training changes.</summary>
    public required TrainableSet Trainable { get; init; }

    /// <summary>The number format of the frozen weights and their matrix products; resolved against the device when the run starts.</summary>
    public required ComputePrecision Precision { get; init; }

    public required LossSettings Loss { get; init; }

    /// <summary>How often the student samples its own responses for the teacher to score (off by default).</summary>
    public required OnPolicySettings OnPolicy { get; init; }

    /// <summary>Recompute the student's decoder layers during the backward pass instead of keeping their activations.</summary>
    public required bool CheckpointActivations { get; init; }

    /// <summary>How the student's frozen base is held while training (a local teacher's is the teacher source's).</summary>
    public WeightQuantization Quantization { get; init; }

    public required DataPolicy Data { get; init; }

    /// <summary>Optimiser, schedule, step budget and checkpoints.</summary>
    public required TrainerSettings Optimization { get; init; }

    /// <summary>"cpu" or "cuda".</summary>
    public required string Device { get; init; }

    /// <summary>Held-out rows whose response loss is measured while training; null for none.</summary>
    public required ValidationPolicy? Validation { get; init; }

    /// <summary>Whether a teacher is asked anything: for its scores, or for the responses themselves.</summary>
    public bool NeedsTeacher => Loss.UsesTeacher || Data.Mode == DistillationMode.Sequence;
}

/// <summary>
/// What the caller of a run hears and controls while it goes: log lines, progress, cancellation, and (for sweeps)
/// early stopping judged on the loss of monitoring rows.
/// </summary>
internal sealed record RunHooks
{
    public Action<string> Log { get; init; } = _ => { };

    public Action<string> Warn { get; init; } = _ => { };

    public IProgress<TrainingProgress>? Progress { get; init; }

    public CancellationToken Cancellation { get; init; }

    /// <summary>After each step (and its validation, if any), may end training, keeping what was learned.</summary>
    public Func<TrainingProgress, bool>? StopAfter { get; init; }
}

/// <summary>Rows measured while training, and when.</summary>
/// <param name="Rows">Prompt/response pairs; their mean response cross-entropy is the validation loss.</param>
/// <param name="EverySteps">Measure after every this many steps and after the last; 0: ten times over the run.</param>
/// <param name="AccuracyMaxNewTokens">Above 0: also the answer accuracy of greedy completions of this many tokens at most.</param>
internal sealed record ValidationPolicy(IReadOnlyList<(string Prompt, string Response)> Rows, int EverySteps, int AccuracyMaxNewTokens = 0)
{
    /// <summary>Whether step <paramref name="step"/> of <paramref name="totalSteps"/> is measured.</summary>
    public bool IsDue(int step, int totalSteps)
    {
        int every = EverySteps > 0 ? EverySteps : Math.Max(1, totalSteps / 10);
        return step % every == 0 || step == totalSteps;
    }
}
