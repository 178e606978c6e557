using System.Diagnostics;

namespace Microsoft.ML.Neo;

/// <summary>The parts a training step's time is split into.</summary>
public enum TrainingPhase
{
    /// <summary>The teacher's forward pass (or reading its cached scores), output head included.</summary>
    TeacherForward,

    /// <summary>The student's forward pass, output head included.</summary>
    StudentForward,

    /// <summary>The loss on the logits (softmaxes, divergence, cross-entropy), forward only.</summary>
    Loss,

    /// <summary>Every backward pass: through the loss and the head, then through the student's body.</summary>
    Backward,

    /// <summary>Zeroing gradients, clipping them, and the AdamW update.</summary>
    Optimizer,

    /// <summary>The student writing the responses of an on-policy batch (<see cref="NeoDistillOptions.OnPolicyFraction"/>).</summary>
    StudentGeneration,
}

/// <summary>
/// Wall-clock seconds of one training step, by <see cref="TrainingPhase"/>. On the CPU libtorch runs each operation
/// before returning, so the time between two calls is the time of the work between them. (On CUDA, kernels are queued
/// and the split is only indicative.)
/// </summary>
public sealed class StepPhases
{
    private readonly double[] seconds = new double[Enum.GetValues<TrainingPhase>().Length];

    /// <summary>Seconds spent in <paramref name="phase"/> during the step.</summary>
    public double this[TrainingPhase phase] => seconds[(int)phase];

    /// <summary>Seconds of all phases together.</summary>
    public double Total => seconds.Sum();

    /// <summary>Times the work until the returned value is disposed, adding it to <paramref name="phase"/>.</summary>
    internal PhaseTimer Time(TrainingPhase phase) => new(this, phase, Stopwatch.GetTimestamp());

    public override string ToString() => string.Join(", ",
        Enum.GetValues<TrainingPhase>().Select(p => $"{p} {this[p]:F3} s"));

    internal readonly struct PhaseTimer(StepPhases owner, TrainingPhase phase, long started) : IDisposable
    {
        public void Dispose() => owner.seconds[(int)phase] += Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
