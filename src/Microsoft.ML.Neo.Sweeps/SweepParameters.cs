using System.Globalization;
using Microsoft.ML.Neo.Distillation;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>One configuration a sweep trial trains with. A parameter the search space does not search is null and keeps the base options' value.</summary>
/// <param name="Epochs">Null when epochs are not searched (the base options' value is used).</param>
public sealed record SweepParameters(int LoraRank, double Temperature, double KdWeight, double LearningRate, int? Epochs = null)
{
    /// <summary>Searched mixture weights of the base options' teachers, by name; null when none are searched.</summary>
    public IReadOnlyDictionary<string, double>? TeacherWeights { get; init; }

    /// <summary>The divergence, when searched.</summary>
    public Divergence? Divergence { get; init; }

    /// <summary>JSD's β, in the trials whose divergence is JensenShannon.</summary>
    public double? JsdBeta { get; init; }

    /// <summary>The skewed KLs' α, in their trials.</summary>
    public double? SkewAlpha { get; init; }

    /// <summary>The teacher's priming, when searched.</summary>
    public PrimingChoice? Priming { get; init; }

    /// <summary>The share of on-policy steps, when searched.</summary>
    public double? OnPolicyFraction { get; init; }

    /// <summary>LoRA or every weight, when searched.</summary>
    public Finetuning? Finetuning { get; init; }

    /// <summary>The LoRA variant, when searched, in trials that train adapters.</summary>
    public AdapterKind? Adapter { get; init; }

    /// <summary>Equal values, the teacher weights compared by content.</summary>
    public bool Equals(SweepParameters? other) => other is not null && LoraRank == other.LoraRank && Temperature.Equals(other.Temperature)
        && KdWeight.Equals(other.KdWeight) && LearningRate.Equals(other.LearningRate) && Epochs == other.Epochs
        && Divergence == other.Divergence && JsdBeta == other.JsdBeta && SkewAlpha == other.SkewAlpha && Equals(Priming, other.Priming)
        && OnPolicyFraction == other.OnPolicyFraction && Finetuning == other.Finetuning && Adapter == other.Adapter
        && (TeacherWeights ?? new Dictionary<string, double>()).OrderBy(w => w.Key, StringComparer.Ordinal)
            .SequenceEqual((other.TeacherWeights ?? new Dictionary<string, double>()).OrderBy(w => w.Key, StringComparer.Ordinal));

    public override int GetHashCode() => HashCode.Combine(HashCode.Combine(LoraRank, Temperature, KdWeight, LearningRate, Epochs),
        HashCode.Combine(Divergence, Priming, Finetuning, Adapter), TeacherWeights?.Count ?? 0);

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
        if (Divergence is { } divergence) options.Divergence = divergence;
        if (JsdBeta is double beta) options.JsdBeta = (float)beta;
        if (SkewAlpha is double alpha) options.SkewAlpha = (float)alpha;
        if (Priming is { } priming)
        {
            options.Priming = priming.Strategy;
            options.PrimingTemplate = priming.Template;
        }
        if (OnPolicyFraction is double fraction) options.OnPolicyFraction = (float)fraction;
        if (Finetuning is { } finetuning) options.Finetuning = finetuning;
        if (options.Finetuning == Microsoft.ML.Neo.Finetuning.Full)
        {
            // Every weight is trained: the adapter options do not apply (and NeoDistill refuses a LoRA variant with Full).
            AdapterKind.Lora.ApplyTo(options);
        }
        else if (Adapter is { } adapter)
        {
            adapter.ApplyTo(options);
        }
        foreach (var (name, weight) in TeacherWeights ?? new Dictionary<string, double>())
        {
            var teacher = (options.Teacher as TeacherMixture)?.Members.FirstOrDefault(t => t.Name == name)
                ?? throw new ArgumentException($"The sweep sets the weight of teacher '{name}', which the base options' TeacherMixture does not have.");
            teacher.Weight = (float)weight;
        }
        return options;
    }

    public override string ToString()
    {
        var parts = new List<string>();
        if (Finetuning is { } finetuning) parts.Add(finetuning == Microsoft.ML.Neo.Finetuning.Full ? "full" : "LoRA");
        if (Finetuning != Microsoft.ML.Neo.Finetuning.Full) parts.Add(Invariant($"rank {LoraRank}"));
        if (Adapter is { } adapter) parts.Add(adapter.ToString());
        parts.Add(Invariant($"T {Temperature:G3}"));
        parts.Add(Invariant($"kd {KdWeight:F2}"));
        parts.Add(Invariant($"lr {LearningRate:G3}"));
        if (Epochs is int e) parts.Add(Invariant($"epochs {e}"));
        if (Divergence is { } divergence) parts.Add(divergence.ToString() + (JsdBeta is double b ? Invariant($" β {b:G3}") : SkewAlpha is double a ? Invariant($" α {a:G3}") : ""));
        if (Priming is { } priming) parts.Add("priming " + priming);
        if (OnPolicyFraction is double fraction) parts.Add(Invariant($"on-policy {fraction:F2}"));
        parts.AddRange((TeacherWeights ?? new Dictionary<string, double>()).OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => Invariant($"{w.Key} {w.Value:G3}")));
        return string.Join(", ", parts);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
