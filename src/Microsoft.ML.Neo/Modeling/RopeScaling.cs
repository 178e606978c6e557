using System.Text.Json.Nodes;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// RoPE frequency scaling from <c>config.json</c>'s <c>rope_scaling</c>. Supported: "linear" (positions divided by
/// Factor) and "llama3" (Llama 3.1's banded scaling: long wavelengths divided by Factor, short ones kept, a smooth
/// blend between).
/// </summary>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor = 1, double HighFreqFactor = 4,
    int OriginalMaxPositionEmbeddings = 8192)
{
    public static RopeScaling FromJson(JsonObject json)
    {
        string type = (json["rope_type"] ?? json["type"])?.GetValue<string>()
            ?? throw new InvalidDataException("config.json: 'rope_scaling' has no 'rope_type'.");
        if (type is not ("linear" or "llama3" or "default"))
            throw new NotSupportedException($"config.json: 'rope_scaling' type '{type}' is not supported; supported: linear, llama3.");
        double factor = json["factor"]?.GetValue<double>() ?? 1.0;
        if (!(factor >= 1)) throw new InvalidDataException($"config.json: 'rope_scaling.factor' must be at least 1, found {factor}.");
        var scaling = new RopeScaling(type == "default" ? "linear" : type, type == "default" ? 1.0 : factor,
            json["low_freq_factor"]?.GetValue<double>() ?? 1,
            json["high_freq_factor"]?.GetValue<double>() ?? 4,
            json["original_max_position_embeddings"]?.GetValue<int>() ?? 8192);
        if (scaling.Type == "llama3" && !(scaling.HighFreqFactor > scaling.LowFreqFactor))
            throw new InvalidDataException("config.json: 'rope_scaling.high_freq_factor' must exceed 'low_freq_factor'.");
        return scaling;
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["rope_type"] = Type, ["factor"] = Factor };
        if (Type == "llama3")
        {
            json["low_freq_factor"] = LowFreqFactor;
            json["high_freq_factor"] = HighFreqFactor;
            json["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings;
        }
        return json;
    }

    /// <summary>Applies the scaling to the plain inverse frequencies, in place.</summary>
    public void Apply(double[] inverseFrequencies)
    {
        for (int i = 0; i < inverseFrequencies.Length; i++)
        {
            double frequency = inverseFrequencies[i];
            if (Type == "linear")
            {
                inverseFrequencies[i] = frequency / Factor;
                continue;
            }
            double wavelength = 2 * Math.PI / frequency;
            double lowFrequencyWavelength = OriginalMaxPositionEmbeddings / LowFreqFactor;
            double highFrequencyWavelength = OriginalMaxPositionEmbeddings / HighFreqFactor;
            if (wavelength < highFrequencyWavelength) continue;                    // short wavelengths: unchanged
            if (wavelength > lowFrequencyWavelength) inverseFrequencies[i] = frequency / Factor; // long: scaled
            else
            {
                double smooth = (OriginalMaxPositionEmbeddings / wavelength - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
                inverseFrequencies[i] = (1 - smooth) * frequency / Factor + smooth * frequency;
            }
        }
    }
}
