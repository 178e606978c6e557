namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// What a sweep searches: LoRA rank, KD temperature, KD weight, learning rate and, optionally, epochs. Each defaults to
/// a range that suits LoRA distillation; narrow, widen or fix any of them (<c>space.Temperature = SearchRange.Fixed(2)</c>).
/// </summary>
public sealed class NeoSearchSpace
{
    /// <summary>LoRA rank; integers on a log scale. Default 4 to 128.</summary>
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
    /// The weights of several teachers (the base options' <see cref="NeoDistillOptions.Teachers"/>, by
    /// <see cref="DistillationTeacher.Name"/>) in their mixture, each a dimension named <c>TeacherWeight:NAME</c>; above
    /// 0. Empty (default): the base options' weights.
    /// </summary>
    public Dictionary<string, SearchRange> TeacherWeights { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Every parameter with its range, epochs only when searched, then the teacher weights in name order.</summary>
    public IReadOnlyList<(string Name, SearchRange Range)> Dimensions
    {
        get
        {
            var dimensions = new List<(string, SearchRange)>
            {
                (nameof(LoraRank), LoraRank), (nameof(Temperature), Temperature), (nameof(KdWeight), KdWeight), (nameof(LearningRate), LearningRate),
            };
            if (Epochs is not null) dimensions.Add((nameof(Epochs), Epochs));
            foreach (var (name, range) in TeacherWeights.OrderBy(w => w.Key, StringComparer.Ordinal)) dimensions.Add((WeightDimension + name, range));
            return dimensions;
        }
    }

    /// <summary>Throws naming the first bad range, including values NeoDistill would refuse (rank below 1, weight outside [0, 1]).</summary>
    public void Validate()
    {
        foreach (var (name, range) in Dimensions)
        {
            if (range is null) throw new ArgumentNullException(name, $"NeoSearchSpace.{name} is null; give it a range or SearchRange.Fixed(value).");
            range.Validate(name);
        }
        Within(nameof(LoraRank), LoraRank, 1, 1024);
        Within(nameof(Temperature), Temperature, double.Epsilon, 100);
        Within(nameof(KdWeight), KdWeight, 0, 1);
        Within(nameof(LearningRate), LearningRate, double.Epsilon, 1);
        if (Epochs is not null) Within(nameof(Epochs), Epochs, 1, 1000);
        foreach (var (name, range) in TeacherWeights) Within(WeightDimension + name, range, double.Epsilon, 1e6);
    }

    /// <summary>The prefix of a teacher weight's dimension name.</summary>
    public const string WeightDimension = "TeacherWeight:";

    /// <summary>Throws when a searched teacher weight names no teacher of <paramref name="baseOptions"/>.</summary>
    internal void ValidateAgainst(NeoDistillOptions baseOptions)
    {
        var names = baseOptions.Teachers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        if (TeacherWeights.Keys.FirstOrDefault(n => !names.Contains(n)) is { } missing)
            throw new ArgumentException($"NeoSearchSpace.TeacherWeights names the teacher '{missing}', which the base options' Teachers do not have " +
                $"({(names.Count == 0 ? "none" : string.Join(", ", names.Select(n => $"'{n}'")))}).", nameof(TeacherWeights));
    }

    /// <summary>The parameters at a point of the unit cube (one coordinate per dimension, in <see cref="Dimensions"/> order).</summary>
    public SweepParameters FromUnit(IReadOnlyList<double> unit)
    {
        var d = Dimensions;
        if (unit.Count != d.Count) throw new ArgumentException($"Expected {d.Count} coordinates, got {unit.Count}.", nameof(unit));
        int first = Epochs is null ? 4 : 5;
        var weights = d.Skip(first).Select((dimension, i) => (Name: dimension.Name[WeightDimension.Length..], Value: dimension.Range.FromUnit(unit[first + i])))
            .ToDictionary(w => w.Name, w => w.Value, StringComparer.Ordinal);
        return new SweepParameters(
            (int)d[0].Range.FromUnit(unit[0]), d[1].Range.FromUnit(unit[1]), d[2].Range.FromUnit(unit[2]), d[3].Range.FromUnit(unit[3]),
            Epochs is null ? null : (int)d[4].Range.FromUnit(unit[4]))
        {
            TeacherWeights = weights.Count == 0 ? null : weights,
        };
    }

    /// <summary>The unit-cube point of some parameters.</summary>
    public double[] ToUnit(SweepParameters parameters)
    {
        var values = new List<double> { parameters.LoraRank, parameters.Temperature, parameters.KdWeight, parameters.LearningRate };
        if (Epochs is not null) values.Add(parameters.Epochs ?? Epochs.Min);
        foreach (var (name, range) in TeacherWeights.OrderBy(w => w.Key, StringComparer.Ordinal))
            values.Add(parameters.TeacherWeights?.GetValueOrDefault(name) ?? range.Min);
        var d = Dimensions;
        return values.Select((v, i) => d[i].Range.ToUnit(v)).ToArray();
    }

    private static void Within(string name, SearchRange range, double low, double high)
    {
        if (range.Min < low || range.Max > high)
            throw new ArgumentOutOfRangeException(name, $"NeoSearchSpace.{name} {range} goes outside what NeoDistill accepts, [{low}, {high}].");
    }
}
