using Microsoft.ML.Neo.Distillation;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// What a sweep searches. Always: LoRA rank, KD temperature, KD weight and learning rate, each with a range that suits
/// LoRA distillation (narrow, widen or fix any: <c>space.Temperature = SearchRange.Fixed(2)</c>). On request: epochs,
/// the on-policy fraction, the teachers' mixture weights, and categorical choices (divergence, priming, fine-tuning
/// kind, LoRA variant). Some dimensions are conditional: JSD's β counts only in trials whose divergence is
/// JensenShannon, the skew α only under a skewed KL, and the LoRA rank and variant only in trials that train adapters.
/// </summary>
public sealed class NeoSearchSpace
{
    /// <summary>LoRA rank; integers on a log scale. Default 4 to 128. Unused by trials with <see cref="Finetuning.Full"/>.</summary>
    public SearchRange LoraRank { get; set; } = SearchRange.Int(4, 128, logScale: true);

    /// <summary>KD temperature; log scale. Default 0.5 to 8.</summary>
    public SearchRange Temperature { get; set; } = SearchRange.Float(0.5, 8, logScale: true);

    /// <summary>KD weight w of (1 − w)·CE + w·T²·KL; linear. Default 0 to 1.</summary>
    public SearchRange KdWeight { get; set; } = SearchRange.Float(0, 1);

    /// <summary>Peak learning rate; log scale. Default 1e-4 to 1e-2.</summary>
    public SearchRange LearningRate { get; set; } = SearchRange.Float(1e-4, 1e-2, logScale: true);

    /// <summary>Epochs; null (default) keeps the base options' epochs. Set a range, e.g. <c>SearchRange.Int(1, 3)</c>, to search them.</summary>
    public SearchRange? Epochs { get; set; }

    /// <summary>
    /// The divergences to choose among (a categorical dimension); null (default) keeps the base options'. With
    /// JensenShannon among them, <see cref="JsdBeta"/> is searched in its trials; with a skewed KL, <see cref="SkewAlpha"/>.
    /// </summary>
    public IReadOnlyList<Divergence>? Divergences { get; set; }

    /// <summary>JSD's β in [0, 1], searched in the trials whose divergence is JensenShannon. Default 0.1 to 0.9.</summary>
    public SearchRange JsdBeta { get; set; } = SearchRange.Float(0.1, 0.9);

    /// <summary>The skewed KLs' α in (0, 1), searched in their trials. Default 0.05 to 0.5, log scale.</summary>
    public SearchRange SkewAlpha { get; set; } = SearchRange.Float(0.05, 0.5, logScale: true);

    /// <summary>
    /// The primings to choose among (a categorical dimension): built-in strategies and custom templates. Null (default)
    /// keeps the base options'. Trials with the same priming share the teacher's cache when the base options name one
    /// (<see cref="NeoDistillOptions.TeacherCacheDirectory"/>).
    /// </summary>
    public IReadOnlyList<PrimingChoice>? Primings { get; set; }

    /// <summary>The share of on-policy steps, in [0, 1]; null (default) keeps the base options'. For example <c>SearchRange.Float(0, 0.5)</c>.</summary>
    public SearchRange? OnPolicyFraction { get; set; }

    /// <summary>The share of steps the learning rate warms up over, in [0, 1]; null (default) keeps the base options'. For example <c>SearchRange.Float(0, 0.2)</c>.</summary>
    public SearchRange? WarmupFraction { get; set; }

    /// <summary>LoRA or every weight (a categorical dimension); null (default) keeps the base options'.</summary>
    public IReadOnlyList<Finetuning>? FinetuningKinds { get; set; }

    /// <summary>The LoRA variants to choose among (a categorical dimension), in the trials that train adapters; null (default) keeps the base options'.</summary>
    public IReadOnlyList<AdapterKind>? AdapterKinds { get; set; }

    /// <summary>
    /// The weights of several teachers (the base options' <see cref="TeacherMixture.Members"/>, by
    /// <see cref="DistillationTeacher.Name"/>) in their mixture, each a dimension named <c>TeacherWeight:NAME</c>; above
    /// 0. Empty (default): the base options' weights.
    /// </summary>
    public Dictionary<string, SearchRange> TeacherWeights { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The prefix of a teacher weight's dimension name.</summary>
    public const string WeightDimension = "TeacherWeight:";

    /// <summary>
    /// Every searched parameter with its range, in the order of a point's coordinates: rank, temperature, KD weight,
    /// learning rate, then those set (epochs, divergence, β, α, priming, on-policy fraction, fine-tuning, adapter),
    /// then the teacher weights in name order. A categorical dimension's range is <see cref="SearchRange.Choice"/>.
    /// </summary>
    public IReadOnlyList<(string Name, SearchRange Range)> Dimensions => Layout().Select(d => (d.Name, d.Range)).ToList();

    /// <summary>The categories of a categorical dimension by <see cref="Dimensions"/> name, as text; null for any other.</summary>
    public IReadOnlyList<string>? CategoriesOf(string dimension) =>
        SweepDimensions.Named(dimension)?.Choices(this)?.Select(c => c.ToString()!).ToList();

    /// <summary>Throws naming the first bad range or choice, including values NeoDistill would refuse (rank below 1, weight outside [0, 1]).</summary>
    public void Validate()
    {
        foreach (var dimension in SweepDimensions.All)
        {
            switch (dimension.Setting(this))
            {
                case null when dimension.Required:
                    throw new ArgumentNullException(dimension.Name, $"NeoSearchSpace.{dimension.Name} is null; give it a range or SearchRange.Fixed(value).");
                case SearchRange range:
                    range.Validate(dimension.Name);
                    Within(dimension.Name, range, dimension.Bounds.Low, dimension.Bounds.High);
                    break;
                case System.Collections.IEnumerable choices:
                    Choices(dimension.Name, choices.Cast<object>().ToList(), dimension.Valid);
                    break;
            }
        }
        foreach (var (name, range) in TeacherWeights)
        {
            range.Validate(WeightDimension + name);
            Within(WeightDimension + name, range, double.Epsilon, 1e6);
        }
        if (AdapterKinds is not null && FinetuningKinds is not null && !FinetuningKinds.Contains(Finetuning.Lora))
            throw new ArgumentException("NeoSearchSpace.AdapterKinds is searched, but FinetuningKinds has no Lora: no trial would train adapters.", nameof(AdapterKinds));
    }

    /// <summary>Throws when the space asks for something the base options cannot give (a teacher they do not have, adapters when every weight is trained).</summary>
    internal void ValidateAgainst(NeoDistillOptions baseOptions)
    {
        var names = ((baseOptions.Teacher as TeacherMixture)?.Members ?? new List<DistillationTeacher>()).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        if (TeacherWeights.Keys.FirstOrDefault(n => !names.Contains(n)) is { } missing)
            throw new ArgumentException($"NeoSearchSpace.TeacherWeights names the teacher '{missing}', which the base options' TeacherMixture does not have " +
                $"({(names.Count == 0 ? "none" : string.Join(", ", names.Select(n => $"'{n}'")))}).", nameof(TeacherWeights));
        if (AdapterKinds is not null && FinetuningKinds is null && baseOptions.Finetuning == Finetuning.Full)
            throw new ArgumentException("NeoSearchSpace.AdapterKinds is searched, but the base options train every weight (Finetuning = Full); " +
                "set Finetuning = Lora, or search FinetuningKinds too.", nameof(AdapterKinds));
    }

    /// <summary>The parameters at a point of the unit cube (one coordinate per dimension, in <see cref="Dimensions"/> order).</summary>
    public SweepParameters FromUnit(IReadOnlyList<double> unit)
    {
        var layout = Layout();
        if (unit.Count != layout.Count) throw new ArgumentException($"Expected {layout.Count} coordinates, got {unit.Count}.", nameof(unit));
        // Each dimension's value, in table order (a divergence before its β, the fine-tuning kind before the adapter).
        var parameters = new SweepParameters(0, 0, 0, 0);
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < layout.Count; i++)
        {
            var (name, range) = layout[i];
            double value = range.FromUnit(unit[i]);
            if (SweepDimensions.Named(name) is not { } dimension) weights[name[WeightDimension.Length..]] = value;
            else parameters = dimension.Set(parameters, dimension.Choices(this) is { } choices ? choices[(int)value] : value);
        }
        // What the configuration does not use keeps the base options' value (β without JSD, the adapter kind when every weight trains).
        foreach (var dimension in SweepDimensions.All)
            if (!dimension.UsedBy(parameters)) parameters = dimension.Set(parameters, null);
        return parameters with { TeacherWeights = weights.Count == 0 ? null : weights };
    }

    /// <summary>The unit-cube point of some parameters (canonical: categories at the middle of their slice, unused coordinates 0).</summary>
    public double[] ToUnit(SweepParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var point = Layout().Select(d => d.Range.ToUnit(SweepDimensions.Named(d.Name) is { } dimension
            ? dimension.Choices(this) is { } choices ? Index(choices, dimension.Get(parameters))
              : dimension.Get(parameters) as double? ?? d.Range.Min
            : parameters.TeacherWeights?.GetValueOrDefault(d.Name[WeightDimension.Length..]) ?? TeacherWeights[d.Name[WeightDimension.Length..]].Min)).ToArray();
        return Canonical(point);
    }

    /// <summary>
    /// The point the sweep records for the configuration at <paramref name="unit"/>: each category at the middle of its
    /// slice, and the coordinates the configuration does not use (β without JSD, the rank without adapters) at 0, so two
    /// points that train the same way are one point to the tuners.
    /// </summary>
    public double[] Canonical(double[] unit)
    {
        var layout = Layout();
        if (unit.Length != layout.Count) throw new ArgumentException($"Expected {layout.Count} coordinates, got {unit.Length}.", nameof(unit));
        var parameters = FromUnit(unit);
        var point = new double[unit.Length];
        for (int i = 0; i < layout.Count; i++)
        {
            var (name, range) = layout[i];
            bool used = SweepDimensions.Named(name)?.UsedBy(parameters) ?? true;
            point[i] = !used || range.IsFixed ? 0 : range.IsCategorical ? range.ToUnit(range.FromUnit(unit[i])) : Math.Clamp(unit[i], 0, 1);
        }
        return point;
    }

    /// <summary>What must match for a trial log to be continued: every dimension with its range and its categories.</summary>
    internal IEnumerable<string> Describe() => Layout().Select(d => $"{d.Name}={d.Range}" +
        (CategoriesOf(d.Name) is { } categories ? "{" + string.Join("|", categories) + "}" : ""));

    // The searched dimensions in coordinate order: the table's that this space gives a range, then the teacher weights.
    private List<(string Name, SearchRange Range)> Layout()
    {
        var layout = SweepDimensions.All.Select(d => (d.Name, Range: d.Range(this))).Where(d => d.Range is not null).Select(d => (d.Name, d.Range!)).ToList();
        foreach (var (name, range) in TeacherWeights.OrderBy(w => w.Key, StringComparer.Ordinal)) layout.Add((WeightDimension + name, range));
        return layout;
    }

    // The position of a chosen value among the choices; the first when the parameters carry none.
    private static int Index(IReadOnlyList<object> choices, object? value)
    {
        for (int i = 0; i < choices.Count; i++) if (Equals(choices[i], value)) return i;
        return 0;
    }

    private static void Choices(string name, IReadOnlyList<object> choices, Func<object, bool> valid)
    {
        if (choices.Count == 0) throw new ArgumentException($"NeoSearchSpace.{name} is empty; give at least one choice, or null to keep the base options' value.", name);
        foreach (var choice in choices)
        {
            if (!valid(choice)) throw new ArgumentException($"NeoSearchSpace.{name} holds '{choice}', which is not a valid choice.", name);
        }
        if (choices.Distinct().Count() != choices.Count) throw new ArgumentException($"NeoSearchSpace.{name} names a choice twice.", name);
    }

    private static void Within(string name, SearchRange range, double low, double high)
    {
        if (range.Min < low || range.Max > high)
            throw new ArgumentOutOfRangeException(name, $"NeoSearchSpace.{name} {range} goes outside what NeoDistill accepts, [{low}, {high}].");
    }
}
