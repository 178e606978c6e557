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

    /// <summary>The share of warm-up steps, when searched.</summary>
    public double? WarmupFraction { get; init; }

    /// <summary>LoRA or every weight, when searched.</summary>
    public Finetuning? Finetuning { get; init; }

    /// <summary>The LoRA variant, when searched, in trials that train adapters.</summary>
    public AdapterKind? Adapter { get; init; }

    /// <summary>Equal values, the teacher weights compared by content.</summary>
    public bool Equals(SweepParameters? other) => other is not null && SweepDimensions.All.All(d => Equals(d.Get(this), d.Get(other)))
        && (TeacherWeights ?? new Dictionary<string, double>()).OrderBy(w => w.Key, StringComparer.Ordinal)
            .SequenceEqual((other.TeacherWeights ?? new Dictionary<string, double>()).OrderBy(w => w.Key, StringComparer.Ordinal));

    public override int GetHashCode() => HashCode.Combine(HashCode.Combine(LoraRank, Temperature, KdWeight, LearningRate, Epochs),
        HashCode.Combine(Divergence, Priming, Finetuning, Adapter), TeacherWeights?.Count ?? 0);

    /// <summary>A copy of <paramref name="baseOptions"/> with these values (LoRA alpha kept at the same alpha / rank ratio).</summary>
    public NeoDistillOptions ApplyTo(NeoDistillOptions baseOptions)
    {
        ArgumentNullException.ThrowIfNull(baseOptions);
        var options = baseOptions.Clone();
        foreach (var dimension in SweepDimensions.All) dimension.Apply(options, this, baseOptions);
        foreach (var (name, weight) in TeacherWeights ?? new Dictionary<string, double>())
        {
            var teacher = (options.Teacher as TeacherMixture)?.Members.FirstOrDefault(t => t.Name == name)
                ?? throw new ArgumentException($"The sweep sets the weight of teacher '{name}', which the base options' TeacherMixture does not have.");
            teacher.Weight = (float)weight;
        }
        return options;
    }

    public override string ToString() => string.Join(", ", SweepDimensions.All.Select(d => d.Describe(this)).OfType<string>()
        .Concat((TeacherWeights ?? new Dictionary<string, double>()).OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => Invariant($"{w.Key} {w.Value:G3}"))));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
