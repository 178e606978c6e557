using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Training;

/// <summary>
/// The lowest validation loss of a run so far, its step, how many validations have passed without beating it, and
/// (when the best weights are to be kept) a copy of the trainable weights at that step, put back by <see cref="Restore"/>.
/// </summary>
internal sealed class BestValidation : IDisposable
{
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> parameters;
    private readonly bool keepWeights;
    private Tensor[]? weights;

    public BestValidation(IReadOnlyList<(string Name, Parameter Parameter)> parameters, bool keepWeights)
    {
        this.parameters = parameters;
        this.keepWeights = keepWeights;
    }

    /// <summary>The lowest validation loss so far, or null before the first validation.</summary>
    public double? Loss { get; private set; }

    /// <summary>The step that measured <see cref="Loss"/>.</summary>
    public int? Step { get; private set; }

    /// <summary>Validations measured so far.</summary>
    public int Count { get; private set; }

    /// <summary>Validations since the one that set <see cref="Loss"/> (0 when the last one did).</summary>
    public int ValidationsSinceBest { get; private set; }

    /// <summary>Records a validation; a strictly lower loss becomes the best (and its weights are copied when kept).</summary>
    public void Observe(int step, double loss)
    {
        Count++;
        if (Loss is double best && !(loss < best))
        {
            ValidationsSinceBest++;
            return;
        }
        (Loss, Step, ValidationsSinceBest) = (loss, step, 0);
        if (!keepWeights) return;
        using var _ = no_grad();
        // The copies live outside any step's dispose scope: they must outlast it.
        if (weights is null)
        {
            weights = parameters.Select(p => p.Parameter.detach().clone().DetachFromDisposeScope()).ToArray();
            return;
        }
        for (int i = 0; i < weights.Length; i++) weights[i].copy_(parameters[i].Parameter);
    }

    /// <summary>Puts the best step's weights back into the parameters; returns that step, or null when nothing was kept.</summary>
    public int? Restore()
    {
        if (weights is null) return null;
        using var _ = no_grad();
        for (int i = 0; i < weights.Length; i++) parameters[i].Parameter.copy_(weights[i]);
        return Step;
    }

    public void Dispose()
    {
        if (weights is null) return;
        foreach (var weight in weights) weight.Dispose();
    }
}
