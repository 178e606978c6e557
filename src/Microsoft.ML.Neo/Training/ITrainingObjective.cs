using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Training;

/// <summary>The three numbers every training step reports: the mixed loss and its two terms before mixing.</summary>
/// <param name="Total">The mixed loss.</param>
/// <param name="CrossEntropy">The cross-entropy term, before weighting.</param>
/// <param name="Divergence">The KD term (T² · D), before weighting; 0 without a teacher.</param>
internal readonly record struct LossTerms(double Total, double CrossEntropy, double Divergence);

/// <summary>
/// What a training step minimises. The trainer owns the loop, the optimiser and checkpoints; the objective owns
/// everything about the loss, including any teacher it consults and how its backward pass is split (a chunked loss
/// backpropagates piece by piece).
/// </summary>
internal interface ITrainingObjective
{
    /// <summary>Computes the loss of the student on one batch and backpropagates it into the trainable parameters'
    /// gradients (which the trainer zeroed before the step's first micro-batch; later ones add to them).</summary>
    /// <param name="student">In training mode.</param>
    /// <param name="batch">Made on the student's device, in the step's dispose scope.</param>
    /// <param name="phases">Where the objective adds the time of its teacher, student, loss and backward work.</param>
    /// <param name="stepResponseRows">Response positions in the whole step, this batch's and its sibling micro-batches':
    /// the loss is a mean over them, so micro-batches' losses and gradients add up to the whole batch's.</param>
    /// <returns>This batch's share of the step's loss and of its terms, as numbers.</returns>
    LossTerms Backward(DecoderForCausalLM student, TokenBatch batch, StepPhases phases, long stepResponseRows);

    /// <summary>The settings that shape the loss, so a checkpoint resumes only a run with the same ones.</summary>
    string Describe();
}
