using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Training;

/// <summary>The three numbers every training step reports: the mixed loss and its two terms before mixing.</summary>
/// <param name="Total">The scalar that is backpropagated.</param>
/// <param name="CrossEntropy">The cross-entropy term, before weighting.</param>
/// <param name="Divergence">The KD term (T² · D), before weighting; 0 without a teacher.</param>
internal readonly record struct LossTerms(Tensor Total, Tensor CrossEntropy, Tensor Divergence);

/// <summary>
/// What a training step minimises. The trainer owns the loop, the optimiser and checkpoints; the objective owns
/// everything about the loss, including any teacher it consults.
/// </summary>
internal interface ITrainingObjective
{
    /// <summary>The loss of the student on one batch, with a graph to backpropagate through.</summary>
    /// <param name="student">In training mode.</param>
    /// <param name="batch">Made on the student's device, in the step's dispose scope.</param>
    LossTerms Compute(LlamaForCausalLM student, TokenBatch batch);

    /// <summary>The settings that shape the loss, so a checkpoint resumes only a run with the same ones.</summary>
    string Describe();
}
