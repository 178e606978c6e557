using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>
/// The training objective of a distillation run. Per batch the teacher is asked once for its scores at the response
/// rows (dense or top-K, from whatever teacher sits behind <see cref="ITeacher"/>), and the student's final hidden
/// states at the same rows are computed once. Then, one chunk of <see cref="LossSettings.RowsPerChunk"/> rows at a time,
/// the student's head, the teacher's targets and <see cref="DistillationLoss"/> run forward and backward, so only one
/// [chunk, vocabulary] block of logits per model is alive at once; the hidden-state gradients they leave are
/// backpropagated through the student's body in one pass at the end. Batches the student sampled itself (on-policy
/// distillation) use the divergence alone.
/// </summary>
internal sealed class DistillationObjective : ITrainingObjective
{
    private readonly ITeacher? teacher;
    private readonly LossSettings settings;
    private readonly bool checkpointLayers;

    /// <param name="teacher">Consulted when the loss uses a teacher (KD weight above 0); may be null otherwise.</param>
    /// <param name="checkpointLayers">Activation checkpointing of the student's decoder layers: keep only each layer's
    /// input and recompute the layer during the backward pass (less memory, one more forward pass of the body).</param>
    public DistillationObjective(ITeacher? teacher, LossSettings settings, bool checkpointLayers = false)
    {
        this.checkpointLayers = checkpointLayers;
        if (settings.UsesTeacher && teacher is null)
            throw new ArgumentException("A KD weight above 0 needs a teacher.", nameof(teacher));
        ArgumentOutOfRangeException.ThrowIfNegative(settings.ChunkRows);
        this.teacher = teacher;
        this.settings = settings;
    }

    public LossTerms Backward(DecoderForCausalLM student, TokenBatch batch, StepPhases phases, long stepResponseRows) =>
        Run(student, batch, phases, backward: true, stepResponseRows);

    /// <summary>The same loss, chunk by chunk, without any backward pass (validation; call under no_grad).</summary>
    public LossTerms Measure(DecoderForCausalLM model, TokenBatch batch) => Run(model, batch, new StepPhases(), backward: false, normalizer: null);

    // normalizer: the response rows the loss is averaged over (the step's, across micro-batches); null: this batch's.
    private LossTerms Run(DecoderForCausalLM student, TokenBatch batch, StepPhases phases, bool backward, long? normalizer)
    {
        using var scope = NewDisposeScope();
        // An on-policy batch (the student's own samples) trains on the divergence alone: cross-entropy on tokens the
        // student chose itself would only make it surer of them.
        var settings = batch.Examples.Any(e => e.StudentGenerated) ? this.settings with { KdWeight = 1 } : this.settings;
        TeacherBatchScores? scores = null;
        if (settings.UsesTeacher)
            using (phases.Time(TrainingPhase.TeacherForward)) scores = teacher!.Score(batch, student.Config.VocabSize);
        Tensor rows;
        CheckpointedPass? pass = null;
        using (phases.Time(TrainingPhase.StudentForward))
        {
            if (checkpointLayers && backward) pass = student.HiddenCheckpointed(batch.Inputs);
            var hidden = pass?.Hidden ?? student.Hidden(batch.Inputs);                               // [B, L, C]
            rows = hidden.reshape(-1, hidden.shape[^1]).index_select(0, batch.ResponseRows);         // [M, C]
        }
        // The head and the loss see a detached copy; their gradient collects in it, chunk by chunk.
        var detached = rows.detach().requires_grad_(backward);                                      // [M, C]
        long count = rows.shape[0];
        long meanOver = normalizer ?? count;
        double total = 0, crossEntropy = 0, divergence = 0;
        long chunkRows = settings.RowsPerChunk(student.Config.VocabSize);
        for (long start = 0; start < count; start += chunkRows)
        {
            using var chunkScope = NewDisposeScope();
            long size = Math.Min(chunkRows, count - start);
            Tensor logits;
            using (phases.Time(TrainingPhase.StudentForward)) logits = student.Head(detached.narrow(0, start, size)); // [n, V]
            TeacherTargets? targets = null;
            if (scores is not null)
                using (phases.Time(TrainingPhase.TeacherForward)) targets = scores.Rows(start, size);
            LossTensors terms;
            using (phases.Time(TrainingPhase.Loss))
                terms = DistillationLoss.Compute(logits, batch.Targets.narrow(0, start, size), targets, settings, meanOver,
                    batch.RowWeights?.narrow(0, start, size));
            if (backward)
                using (phases.Time(TrainingPhase.Backward)) terms.Total.backward();
            total += terms.Total.item<float>();
            crossEntropy += terms.CrossEntropy.item<float>();
            divergence += terms.Divergence.item<float>();
        }
        if (backward && detached.grad is { } gradient)
        {
            using (phases.Time(TrainingPhase.Backward))
            {
                rows.backward(new[] { gradient }); // one pass through the body (to the last layer's output when checkpointing)
                pass?.Backward();                   // recompute and backpropagate layer by layer
            }
        }
        return new LossTerms(total, crossEntropy, divergence);
    }

    public string Describe() => settings.ToString();
}
