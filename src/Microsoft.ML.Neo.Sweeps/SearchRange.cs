namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// The values one hyperparameter may take in a sweep: a range (integer or real, linear or log scale) or one fixed
/// value. Tuners work in the unit interval; <see cref="FromUnit"/> and <see cref="ToUnit"/> map to and from it (on a log
/// scale the interval is spread over the logarithm, so 4..128 gives 8, 16, 32 and 64 equal room). A categorical
/// dimension (<see cref="Choice"/>) holds category indexes 0 to count − 1, each owning an equal slice of the interval.
/// </summary>
public sealed record SearchRange
{
    private SearchRange(double min, double max, bool logScale, bool isInteger, bool isFixed, bool isCategorical = false)
    {
        IsCategorical = isCategorical;
        Min = min;
        Max = max;
        LogScale = logScale;
        IsInteger = isInteger;
        IsFixed = isFixed;
    }

    public double Min { get; }

    public double Max { get; }

    public bool LogScale { get; }

    public bool IsInteger { get; }

    /// <summary>True for a choice among categories (<see cref="Choice"/>): values are indexes with no order.</summary>
    public bool IsCategorical { get; }

    /// <summary>The number of categories of a categorical dimension; 0 for any other.</summary>
    public int CategoryCount => IsCategorical ? (int)Max + 1 : 0;

    /// <summary>True when the value is fixed (<see cref="Min"/> = <see cref="Max"/>) and not searched.</summary>
    public bool IsFixed { get; }

    /// <summary>Integers from <paramref name="min"/> to <paramref name="max"/> inclusive.</summary>
    public static SearchRange Int(int min, int max, bool logScale = false) => new(min, max, logScale, isInteger: true, isFixed: false);

    /// <summary>Reals from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static SearchRange Float(double min, double max, bool logScale = false) => new(min, max, logScale, isInteger: false, isFixed: false);

    /// <summary>
    /// One of <paramref name="count"/> categories, as index 0 to count − 1 (the search space names them). Tuners treat the
    /// indexes as unordered: the grid visits each, SMAC's forest sees one feature per category. One category is fixed.
    /// </summary>
    public static SearchRange Choice(int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "A choice needs at least one category.");
        return new(0, count - 1, logScale: false, isInteger: true, isFixed: count == 1, isCategorical: true);
    }

    /// <summary>Always <paramref name="value"/>: the parameter is not searched.</summary>
    public static SearchRange Fixed(double value) => new(value, value, logScale: false, isInteger: false, isFixed: true);

    /// <summary>Throws naming the parameter when the range is empty, not finite, or a log range not above 0.</summary>
    public void Validate(string parameter)
    {
        if (!double.IsFinite(Min) || !double.IsFinite(Max))
            throw new ArgumentOutOfRangeException(parameter, $"The search range of {parameter} [{Min}, {Max}] is not finite.");
        if (Min > Max)
            throw new ArgumentOutOfRangeException(parameter, $"The search range of {parameter} is empty: its minimum {Min} is above its maximum {Max}.");
        if (LogScale && Min <= 0)
            throw new ArgumentOutOfRangeException(parameter, $"The log-scale search range of {parameter} starts at {Min}; a log scale needs a minimum above 0.");
        if (IsInteger && Math.Ceiling(Min) > Math.Floor(Max))
            throw new ArgumentOutOfRangeException(parameter, $"The integer search range of {parameter} [{Min}, {Max}] holds no integer.");
    }

    /// <summary>The value at position <paramref name="unit"/> ∈ [0, 1] of the range.</summary>
    public double FromUnit(double unit)
    {
        if (IsFixed) return Min;
        unit = Math.Clamp(unit, 0, 1);
        if (IsCategorical) return Math.Min(Math.Floor(unit * CategoryCount), Max);
        double value = LogScale
            ? Math.Exp(Math.Log(Min) + unit * (Math.Log(Max) - Math.Log(Min)))
            : Min + unit * (Max - Min);
        return IsInteger ? Math.Clamp(Math.Round(value), Math.Ceiling(Min), Math.Floor(Max)) : value;
    }

    /// <summary>The position of <paramref name="value"/> in the range, in [0, 1]; 0 for a fixed or one-point range.</summary>
    public double ToUnit(double value)
    {
        if (IsFixed || Max == Min) return 0;
        if (IsCategorical) return (Math.Clamp(Math.Round(value), 0, Max) + 0.5) / CategoryCount; // the middle of its slice
        double unit = LogScale
            ? (Math.Log(value) - Math.Log(Min)) / (Math.Log(Max) - Math.Log(Min))
            : (value - Min) / (Max - Min);
        return Math.Clamp(unit, 0, 1);
    }

    public override string ToString() => IsCategorical ? $"choice of {CategoryCount}" : IsFixed ? $"{Min}" : $"[{Min}, {Max}]{(LogScale ? " log" : "")}{(IsInteger ? " int" : "")}";
}
