namespace Microsoft.ML.Neo.Modeling.Quantization;

/// <summary>
/// Quantizes and restores the frozen projections of a model: the attention and MLP projections of every decoder layer.
/// Embeddings, norms and the output head keep their format (the head is left dense, as QLoRA's bitsandbytes setup
/// leaves <c>lm_head</c>), and so do LoRA adapters.
/// </summary>
internal static class WeightQuantizer
{
    /// <summary>Quantizes every frozen projection that <paramref name="kind"/> can hold; returns what it did, for the log.</summary>
    public static string Apply(DecoderForCausalLM model, WeightQuantization kind)
    {
        if (kind == WeightQuantization.None) return "";
        long before = 0, after = 0;
        int layers = 0, skipped = 0;
        foreach (var linear in Projections(model))
        {
            long dense = linear.WeightBytes;
            if (!QuantizedWeight.Fits(kind, linear.InFeatures))
            {
                skipped++;
                continue;
            }
            linear.Quantize(kind);
            before += dense;
            after += linear.WeightBytes;
            layers++;
        }
        return $"Quantized base ({kind}): {layers} projections quantized, {before / 1048576.0:F2} MiB → {after / 1048576.0:F2} MiB" +
            (skipped > 0 ? $" ({skipped} left dense: their inputs are not whole groups of {QuantizedWeight.Nf4GroupSize})" : "");
    }

    /// <summary>Makes every quantized projection dense again, with the dequantized values the forward passes used.</summary>
    public static void Restore(DecoderForCausalLM model)
    {
        foreach (var linear in Projections(model)) linear.RestoreWeight();
    }

    /// <summary>How the model's projections are held: the quantization of the first quantized one, or None.</summary>
    public static WeightQuantization Of(DecoderForCausalLM model) =>
        Projections(model).Select(l => l.Quantization).FirstOrDefault(q => q != WeightQuantization.None);

    // The decoder layers' projections (the model's own list: not the output head).
    private static IEnumerable<AdaptableLinear> Projections(DecoderForCausalLM model) => model.Projections().Select(p => p.Linear);
}
