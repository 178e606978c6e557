using static TorchSharp.torch;

namespace Microsoft.ML.Neo;

/// <summary>
/// A model produced NaN or infinite logits while generating or scoring. A healthy checkpoint never does: its weights
/// are damaged (or were trained into NaN), or it overflowed in a reduced precision.
/// </summary>
public sealed class NonFiniteLogitsException : Exception
{
    public NonFiniteLogitsException(string what)
        : base($"{what} produced NaN or infinite logits, so no token can be chosen from them. The model's weights are " +
               "damaged or were trained into NaN (load a good copy, or retrain), or it overflowed in bfloat16 (load it in float32).")
    {
    }

    /// <summary>Throws when any value of <paramref name="logits"/> is NaN or infinite (one reduction, one sync).</summary>
    internal static void ThrowIfAny(Tensor logits, string what)
    {
        using var finite = logits.isfinite().all();
        if (!finite.item<bool>()) throw new NonFiniteLogitsException(what);
    }

    /// <summary>Throws when any value of <paramref name="values"/> is NaN or infinite.</summary>
    internal static void ThrowIfAny(ReadOnlySpan<float> values, string what)
    {
        foreach (float value in values)
            if (!float.IsFinite(value)) throw new NonFiniteLogitsException(what);
    }
}
