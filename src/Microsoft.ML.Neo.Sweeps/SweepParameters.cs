using System.Globalization;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>One configuration a sweep trial trains with.</summary>
/// <param name="Epochs">Null when epochs are not searched (the base options' value is used).</param>
public sealed record SweepParameters(int LoraRank, double Temperature, double KdWeight, double LearningRate, int? Epochs = null)
{
    /// <summary>Searched mixture weights of the base options' teachers, by name; null when none are searched.</summary>
    public IReadOnlyDictionary<string, double>? TeacherWeights { get; init; }

    /// <summary>Equal values, the teacher weights compared by content.</summary>
    public bool Equals(SweepParameters? other) => other is not null && LoraRank == other.LoraRank && Temperature.Equals(other.Temperature)
        && KdWeight.Equals(other.KdWeight) && LearningRate.Equals(other.LearningRate) && Epochs == other.Epochs
        && (TeacherWeights ?? new Dictionary<string, double>()).OrderBy(w => w.Key, StringComparer.Ordinal)
            .SequenceEqual((other.TeacherWeights ?? new Dictionary<string, double>()).OrderBy(w => w.Key, StringComparer.Ordinal));

    public override int GetHashCode() => HashCode.Combine(LoraRank, Temperature, KdWeight, LearningRate, Epochs, TeacherWeights?.Count ?? 0);

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
        foreach (var (name, weight) in TeacherWeights ?? new Dictionary<string, double>())
        {
            var teacher = options.Teachers.FirstOrDefault(t => t.Name == name)
                ?? throw new ArgumentException($"The sweep sets the weight of teacher '{name}', which the base options' Teachers do not have.");
            teacher.Weight = (float)weight;
        }
        return options;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"rank {LoraRank}, T {Temperature:G3}, kd {KdWeight:F2}, lr {LearningRate:G3}{(Epochs is int e ? $", epochs {e}" : "")}{WeightsText()}");

    private string WeightsText() => string.Concat((TeacherWeights ?? new Dictionary<string, double>()).OrderBy(w => w.Key, StringComparer.Ordinal)
        .Select(w => string.Create(CultureInfo.InvariantCulture, $", {w.Key} {w.Value:G3}")));
}
