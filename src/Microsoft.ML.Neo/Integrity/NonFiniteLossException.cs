namespace Microsoft.ML.Neo;

/// <summary>
/// A training step's loss or gradient norm was NaN or infinite, so training stopped before the optimizer applied it.
/// Nothing non-finite reached the weights; the last checkpoint written (if checkpoints are on) is the last good state.
/// </summary>
public sealed class NonFiniteLossException : Exception
{
    public NonFiniteLossException(int step, double loss, double crossEntropy, double divergence, double gradientNorm,
        int skippedBefore, string? checkpointNote)
        : base(Compose(step, loss, crossEntropy, divergence, gradientNorm, skippedBefore, checkpointNote))
    {
        Step = step;
        Loss = loss;
        CrossEntropy = crossEntropy;
        Divergence = divergence;
        GradientNorm = gradientNorm;
    }

    /// <summary>The 1-based step whose loss or gradient was not finite.</summary>
    public int Step { get; }

    /// <summary>The step's total loss.</summary>
    public double Loss { get; }

    /// <summary>The cross-entropy term (on the reference or teacher-generated responses).</summary>
    public double CrossEntropy { get; }

    /// <summary>The divergence term (student against teacher); 0 when the loss has none.</summary>
    public double Divergence { get; }

    /// <summary>The global gradient norm before clipping; NaN when the loss itself was not finite.</summary>
    public double GradientNorm { get; }

    private static string Compose(int step, double loss, double crossEntropy, double divergence, double gradientNorm,
        int skippedBefore, string? checkpointNote)
    {
        string which = double.IsFinite(loss) ? "the gradient norm" : "the loss";
        string causes = !double.IsFinite(divergence) && double.IsFinite(crossEntropy)
            ? "Only the divergence is not finite, which points at the teacher: a damaged teacher checkpoint or cache " +
              "(its logits hold NaN), or a temperature so low that the teacher's scaled logits overflow."
            : "Likely causes: a learning rate too high for the data (lower LearningRate, or raise the warmup), " +
              "weights or logits overflowing in bfloat16 (train with Precision = Float32), or damaged model weights.";
        return $"Training stopped at step {step}: {which} is not finite (loss {loss:G4}: cross-entropy {crossEntropy:G4}, " +
               $"divergence {divergence:G4}; gradient norm {gradientNorm:G4}). " +
               (skippedBefore > 0 ? $"{skippedBefore} earlier non-finite steps were skipped. " : "") +
               causes + " " +
               (checkpointNote ?? "Nothing was saved from this step.") +
               " To skip such steps instead of stopping, set MaxSkippedNonFiniteSteps.";
    }
}
