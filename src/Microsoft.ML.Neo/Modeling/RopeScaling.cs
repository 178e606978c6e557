using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Modeling.Families;

namespace Microsoft.ML.Neo;

/// <summary>
/// RoPE frequency scaling from <c>config.json</c>'s <c>rope_scaling</c> (or <c>rope_parameters</c>). Supported:
/// "linear" (positions divided by Factor), "llama3" (Llama 3.1's banded scaling: long wavelengths divided by Factor,
/// short ones kept, a smooth blend between) and "longrope" (Phi-3's per-channel factors: <see cref="ShortFactor"/> up to
/// <see cref="OriginalMaxPositionEmbeddings"/> positions, <see cref="LongFactor"/> beyond, and cos/sin multiplied by
/// <see cref="AttentionFactor"/>). Other types are refused with their name.
/// </summary>
/// <remarks>Its members are named properties, not a positional constructor, so a member added later breaks no caller.</remarks>
public sealed record RopeScaling
{
    /// <summary>"linear", "llama3" or "longrope".</summary>
    public required string Type { get; init; }

    /// <summary>How much longer the context is than the one trained (linear, llama3), or its growth (longrope); at least 1.</summary>
    public required double Factor { get; init; }

    /// <summary>llama3: wavelengths longer than the original context / this are divided by <see cref="Factor"/>. Default 1.</summary>
    public double LowFreqFactor { get; init; } = 1;

    /// <summary>llama3: wavelengths shorter than the original context / this are kept. Default 4.</summary>
    public double HighFreqFactor { get; init; } = 4;

    /// <summary>The context the model was trained with before scaling. Default 8192.</summary>
    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    /// <summary>longrope: per rotary pair, the divisor of the frequency for sequences within the original context.</summary>
    public IReadOnlyList<double>? ShortFactor { get; init; }

    /// <summary>longrope: per rotary pair, the divisor for sequences longer than the original context.</summary>
    public IReadOnlyList<double>? LongFactor { get; init; }

    /// <summary>longrope: the multiplier of cos and sin; when the config gives none, √(1 + ln(Factor) / ln(original context)).</summary>
    public double AttentionFactor { get; init; } = 1.0;

    /// <summary>Reads a scaling object; <paramref name="root"/> is the whole config, for keys longrope reads beside it.</summary>
    internal static RopeScaling? FromJson(JsonObject json, JsonObject root)
    {
        string type = ConfigJson.String(json, "rope_type") ?? ConfigJson.String(json, "type")
            ?? throw new InvalidDataException("config.json: 'rope_scaling' has no 'rope_type'.");
        if (type == "default") return null;
        if (type is "longrope" or "su") return LongRope(json, root);
        if (type is not ("linear" or "llama3"))
            throw new NotSupportedException($"config.json: 'rope_scaling' type '{type}' is not supported; supported: linear, llama3, longrope.");
        double factor = ConfigJson.Double(json, "factor", 1.0);
        if (!(factor >= 1)) throw new InvalidDataException($"config.json: 'rope_scaling.factor' must be at least 1, found {factor}.");
        var scaling = new RopeScaling
        {
            Type = type, Factor = factor,
            LowFreqFactor = ConfigJson.Double(json, "low_freq_factor", 1),
            HighFreqFactor = ConfigJson.Double(json, "high_freq_factor", 4),
            OriginalMaxPositionEmbeddings = ConfigJson.Int(json, "original_max_position_embeddings", 8192),
        };
        if (scaling.Type == "llama3" && !(scaling.HighFreqFactor > scaling.LowFreqFactor))
            throw new InvalidDataException("config.json: 'rope_scaling.high_freq_factor' must exceed 'low_freq_factor'.");
        return scaling;
    }

    // As transformers computes it: the factor is the context growth max / original when the config names the original
    // context at its top level, and the attention factor follows from it unless given.
    private static RopeScaling LongRope(JsonObject json, JsonObject root)
    {
        int maxPositions = ConfigJson.Int(root, "max_position_embeddings", 2048);
        int? topLevelOriginal = ConfigJson.OptionalInt(root, "original_max_position_embeddings");
        int original = topLevelOriginal ?? ConfigJson.OptionalInt(json, "original_max_position_embeddings") ?? maxPositions;
        double factor = topLevelOriginal is int o ? (double)maxPositions / o : ConfigJson.Double(json, "factor", 1.0);
        double attention = ConfigJson.OptionalDouble(json, "attention_factor")
            ?? (factor <= 1 ? 1.0 : Math.Sqrt(1 + Math.Log(factor) / Math.Log(original)));
        return new RopeScaling
        {
            Type = "longrope", Factor = factor, OriginalMaxPositionEmbeddings = original,
            ShortFactor = ConfigJson.List<double>(json, "short_factor")
                ?? throw new InvalidDataException("config.json: 'rope_scaling' of type longrope has no 'short_factor'."),
            LongFactor = ConfigJson.List<double>(json, "long_factor")
                ?? throw new InvalidDataException("config.json: 'rope_scaling' of type longrope has no 'long_factor'."),
            AttentionFactor = attention,
        };
    }

    /// <summary>Checks the per-pair factors against the rotated width.</summary>
    internal void Validate(int rotaryDim)
    {
        if (Type != "longrope") return;
        foreach (var (factors, key) in new[] { (ShortFactor, "short_factor"), (LongFactor, "long_factor") })
        {
            if (factors is null || factors.Count != rotaryDim / 2)
                throw new InvalidDataException($"config.json: 'rope_scaling.{key}' must list {rotaryDim / 2} numbers (rotary dim / 2), found {factors?.Count ?? 0}.");
            if (factors.Any(f => !(f > 0)))
                throw new InvalidDataException($"config.json: 'rope_scaling.{key}' entries must be positive.");
        }
    }

    internal JsonObject ToJson()
    {
        // Both names, as transformers keeps them: 'type' for the versions (and Phi-3's checks) that read only that.
        var json = new JsonObject { ["rope_type"] = Type, ["type"] = Type };
        if (Type == "longrope")
        {
            json["short_factor"] = new JsonArray(ShortFactor!.Select(f => (JsonNode)f).ToArray());
            json["long_factor"] = new JsonArray(LongFactor!.Select(f => (JsonNode)f).ToArray());
            json["attention_factor"] = AttentionFactor;
            return json; // the original context is written at the top level (Phi3Family)
        }
        json["factor"] = Factor;
        if (Type == "llama3")
        {
            json["low_freq_factor"] = LowFreqFactor;
            json["high_freq_factor"] = HighFreqFactor;
            json["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings;
        }
        return json;
    }

    /// <summary>
    /// Applies the scaling to the plain inverse frequencies, in place. <paramref name="positions"/> is the length of the
    /// sequence the angles are for: longrope switches to its long factors beyond the original context.
    /// </summary>
    internal void Apply(double[] inverseFrequencies, long positions = 0)
    {
        if (Type == "longrope")
        {
            var factors = positions > OriginalMaxPositionEmbeddings ? LongFactor! : ShortFactor!;
            for (int i = 0; i < inverseFrequencies.Length; i++) inverseFrequencies[i] /= factors[i];
            return;
        }
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

    /// <summary>Whether the frequencies depend on the sequence length (longrope).</summary>
    internal bool DependsOnLength => Type == "longrope";

    /// <summary>The multiplier of cos and sin.</summary>
    internal double AngleScale => Type == "longrope" ? AttentionFactor : 1.0;
}
