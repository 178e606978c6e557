using System.Globalization;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>One configuration a sweep trial trains with.</summary>
/// <param name="Epochs">Null when epochs are not searched (the base options' value is used).</param>
public sealed record SweepParameters(int LoraRank, double Temperature, double KdWeight, double LearningRate, int? Epochs = null)
{
    /// <summary>A copy of <paramref name="baseOptions"/> with these values (LoRA alpha kept at the same alpha / rank ratio).</summary>
    public NeoDistillOptions ApplyTo(NeoDistillOptions baseOptions)
    {
        ArgumentNullException.ThrowIfNull(baseOptions);
        var options = baseOptions.Clone();
        float scale = baseOptions.LoraAlpha / baseOptions.LoraRank;
        options.LoraRank = LoraRank;
        options.LoraAlpha = scale * LoraRank;
        options.Temperature = (float)Temperature;
        options.KdWeight = (float)KdWeight;
        options.LearningRate = (float)LearningRate;
        if (Epochs is int epochs) options.Epochs = epochs;
        return options;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"rank {LoraRank}, T {Temperature:G3}, kd {KdWeight:F2}, lr {LearningRate:G3}{(Epochs is int e ? $", epochs {e}" : "")}");
}
