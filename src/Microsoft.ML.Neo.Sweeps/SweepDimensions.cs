using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Distillation;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// One dimension a sweep can search, everything about it in one place: the range or choices the search space gives
/// it, whether a configuration uses it, how its value sets NeoDistill's options, how the trial log writes and reads
/// it, and how the trials table and a configuration's description show it.
/// </summary>
internal sealed class SweepDimension
{
    /// <summary>The name in <see cref="NeoSearchSpace.Dimensions"/> (the search space's property).</summary>
    public required string Name { get; init; }

    /// <summary>The search space's setting: a <see cref="SearchRange"/>, or the list of choices; null when not set.</summary>
    public required Func<NeoSearchSpace, object?> Setting { get; init; }

    /// <summary>Whether the setting must be there (the four always searched, and β and α, which have defaults).</summary>
    public bool Required { get; init; }

    /// <summary>A numeric setting's bounds: what NeoDistill accepts.</summary>
    public (double Low, double High) Bounds { get; init; }

    /// <summary>Whether a choice is valid (an enum value that exists, a priming that validates).</summary>
    public Func<object, bool> Valid { get; init; } = choice => choice is not null;

    /// <summary>Whether a space with the setting searches it (β only with JSD among the divergences); default always.</summary>
    public Func<NeoSearchSpace, bool> SearchedWhen { get; init; } = _ => true;

    /// <summary>A categorical dimension's choices in a space (its setting, when that is a list); null for a numeric one or none set.</summary>
    public IReadOnlyList<object>? Choices(NeoSearchSpace space) =>
        Setting(space) is System.Collections.IEnumerable list ? list.Cast<object>().ToList() : null;

    /// <summary>Its range in a space (<see cref="SearchRange.Choice"/> for a categorical one), or null when the space does not search it.</summary>
    public SearchRange? Range(NeoSearchSpace space) => !SearchedWhen(space) ? null : Setting(space) switch
    {
        SearchRange range => range,
        _ => Choices(space) is { Count: > 0 } choices ? SearchRange.Choice(choices.Count) : null,
    };

    /// <summary>The value in a configuration: a number, or one of the choices; null when it keeps the base options'.</summary>
    public required Func<SweepParameters, object?> Get { get; init; }

    /// <summary>The configuration with this value (a number, a choice, or null for the base options').</summary>
    public required Func<SweepParameters, object?, SweepParameters> Set { get; init; }

    /// <summary>Whether a configuration uses the dimension (JSD's β only under JSD, the rank only with adapters).</summary>
    public Func<SweepParameters, bool> UsedBy { get; init; } = _ => true;

    /// <summary>Sets a trial's options from the configuration (options, configuration, the sweep's base options).</summary>
    public required Action<NeoDistillOptions, SweepParameters, NeoDistillOptions> Apply { get; init; }

    /// <summary>The trial log's fields for the value.</summary>
    public required Func<SweepParameters, IEnumerable<(string Key, JsonNode? Value)>> Write { get; init; }

    /// <summary>The configuration with the value a trial log line holds.</summary>
    public required Func<SweepParameters, JsonObject, SweepParameters> Read { get; init; }

    /// <summary>
    /// The header of a column the trials table always shows, searched or not; null: a column named by
    /// <see cref="Name"/>, shown only when the space searches the dimension.
    /// </summary>
    public string? Header { get; init; }

    /// <summary>The table cell (null: "-").</summary>
    public required Func<SweepParameters, string?> Cell { get; init; }

    /// <summary>Its part of a configuration's description (null: none).</summary>
    public Func<SweepParameters, string?> Describe { get; init; } = _ => null;
}

/// <summary>
/// Every dimension a sweep searches, in the order of a point's coordinates (the teachers' mixture weights, one per
/// teacher, follow them). A new dimension is one entry here, with the property the search space sets it in
/// (<see cref="NeoSearchSpace"/>) and the one a configuration carries it in (<see cref="SweepParameters"/>).
/// </summary>
internal static class SweepDimensions
{
    public static readonly IReadOnlyList<SweepDimension> All =
    [
        new()
        {
            Name = nameof(NeoSearchSpace.LoraRank), Setting = s => s.LoraRank, Required = true, Bounds = (1, 1024),
            Get = p => (double)p.LoraRank,
            Set = (p, v) => v is double rank ? p with { LoraRank = (int)rank } : p, UsedBy = p => p.Finetuning != Finetuning.Full,
            // LoRA alpha keeps the base options' alpha / rank.
            Apply = (o, p, b) => (o.LoraRank, o.LoraAlpha) = (p.LoraRank, b.LoraAlpha / b.LoraRank * p.LoraRank),
            Write = p => [("lora_rank", p.LoraRank)], Read = (p, j) => p with { LoraRank = j["lora_rank"]!.GetValue<int>() },
            Header = "LoRA rank", Cell = p => p.Finetuning == Finetuning.Full ? null : Text(p.LoraRank),
            Describe = p => p.Finetuning == Finetuning.Full ? null : $"rank {Text(p.LoraRank)}",
        },
        new()
        {
            Name = nameof(NeoSearchSpace.Temperature), Setting = s => s.Temperature, Required = true, Bounds = (double.Epsilon, 100),
            Get = p => p.Temperature,
            Set = (p, v) => v is double t ? p with { Temperature = t } : p, Apply = (o, p, _) => o.Temperature = (float)p.Temperature,
            Write = p => [("temperature", p.Temperature)], Read = (p, j) => p with { Temperature = j["temperature"]!.GetValue<double>() },
            Header = "temperature", Cell = p => Text(p.Temperature, "G3"), Describe = p => $"T {Text(p.Temperature, "G3")}",
        },
        new()
        {
            Name = nameof(NeoSearchSpace.KdWeight), Setting = s => s.KdWeight, Required = true, Bounds = (0, 1),
            Get = p => p.KdWeight,
            Set = (p, v) => v is double w ? p with { KdWeight = w } : p, Apply = (o, p, _) => o.KdWeight = (float)p.KdWeight,
            Write = p => [("kd_weight", p.KdWeight)], Read = (p, j) => p with { KdWeight = j["kd_weight"]!.GetValue<double>() },
            Header = "KD weight", Cell = p => Text(p.KdWeight, "F2"), Describe = p => $"kd {Text(p.KdWeight, "F2")}",
        },
        new()
        {
            Name = nameof(NeoSearchSpace.LearningRate), Setting = s => s.LearningRate, Required = true, Bounds = (double.Epsilon, 1),
            Get = p => p.LearningRate,
            Set = (p, v) => v is double lr ? p with { LearningRate = lr } : p, Apply = (o, p, _) => o.LearningRate = (float)p.LearningRate,
            Write = p => [("learning_rate", p.LearningRate)], Read = (p, j) => p with { LearningRate = j["learning_rate"]!.GetValue<double>() },
            Header = "learning rate", Cell = p => Text(p.LearningRate, "G3"), Describe = p => $"lr {Text(p.LearningRate, "G3")}",
        },
        new()
        {
            Name = nameof(NeoSearchSpace.Epochs), Setting = s => s.Epochs, Bounds = (1, 1000),
            Get = p => p.Epochs is int e ? (double)e : null,
            Set = (p, v) => p with { Epochs = v is double e ? (int)e : null }, Apply = (o, p, _) => { if (p.Epochs is int e) o.Epochs = e; },
            Write = p => [("epochs", p.Epochs)], Read = (p, j) => p with { Epochs = j["epochs"]?.GetValue<int>() },
            Header = "epochs", Cell = p => p.Epochs is int e ? Text(e) : null, Describe = p => p.Epochs is int e ? $"epochs {Text(e)}" : null,
        },
        new()
        {
            Name = nameof(NeoSearchSpace.Divergences), Setting = s => s.Divergences, Valid = c => c is Divergence d && Enum.IsDefined(d),
            Get = p => p.Divergence,
            Set = (p, v) => p with { Divergence = (Divergence?)v }, Apply = (o, p, _) => { if (p.Divergence is { } d) o.Divergence = d; },
            Write = p => [("divergence", p.Divergence?.ToString())], Read = (p, j) => p with { Divergence = Optional<Divergence>(j["divergence"]) },
            Cell = p => p.Divergence?.ToString(),
            Describe = p => p.Divergence is not { } d ? null
                : d + (p.JsdBeta is double b ? $" β {Text(b, "G3")}" : p.SkewAlpha is double a ? $" α {Text(a, "G3")}" : ""),
        },
        new()
        {
            Name = nameof(NeoSearchSpace.JsdBeta), Setting = s => s.JsdBeta, Required = true, Bounds = (0, 1),
            SearchedWhen = s => s.Divergences?.Contains(Divergence.JensenShannon) == true,
            Get = p => p.JsdBeta, Set = (p, v) => p with { JsdBeta = (double?)v }, UsedBy = p => p.Divergence == Divergence.JensenShannon,
            Apply = (o, p, _) => { if (p.JsdBeta is double beta) o.JsdBeta = (float)beta; },
            Write = p => [("jsd_beta", p.JsdBeta)], Read = (p, j) => p with { JsdBeta = j["jsd_beta"]?.GetValue<double>() },
            Cell = p => p.JsdBeta is double b ? Text(b, "G3") : null,
        },
        new()
        {
            Name = nameof(NeoSearchSpace.SkewAlpha), Setting = s => s.SkewAlpha, Required = true, Bounds = (double.Epsilon, 1 - 1e-6),
            SearchedWhen = s => s.Divergences?.Any(IsSkewed) == true,
            Get = p => p.SkewAlpha, Set = (p, v) => p with { SkewAlpha = (double?)v }, UsedBy = p => p.Divergence is { } d && IsSkewed(d),
            Apply = (o, p, _) => { if (p.SkewAlpha is double alpha) o.SkewAlpha = (float)alpha; },
            Write = p => [("skew_alpha", p.SkewAlpha)], Read = (p, j) => p with { SkewAlpha = j["skew_alpha"]?.GetValue<double>() },
            Cell = p => p.SkewAlpha is double a ? Text(a, "G3") : null,
        },
        new()
        {
            Name = nameof(NeoSearchSpace.Primings), Setting = s => s.Primings, Valid = c => c is PrimingChoice priming && Validated(priming),
            Get = p => p.Priming,
            Set = (p, v) => p with { Priming = (PrimingChoice?)v },
            Apply = (o, p, _) => { if (p.Priming is { } priming) (o.Priming, o.PrimingTemplate) = (priming.Strategy, priming.Template); },
            Write = p => [("priming", p.Priming?.Strategy.ToString()), ("priming_template", p.Priming?.Template)],
            Read = (p, j) => p with
            {
                Priming = Optional<PrimingStrategy>(j["priming"]) is { } strategy ? new PrimingChoice(strategy, j["priming_template"]?.GetValue<string>()) : null,
            },
            Cell = p => p.Priming?.ToString().Replace("|", "\\|", StringComparison.Ordinal), Describe = p => p.Priming is { } priming ? "priming " + priming : null,
        },
        new()
        {
            Name = nameof(NeoSearchSpace.OnPolicyFraction), Setting = s => s.OnPolicyFraction, Bounds = (0, 1),
            Get = p => p.OnPolicyFraction,
            Set = (p, v) => p with { OnPolicyFraction = (double?)v }, Apply = (o, p, _) => { if (p.OnPolicyFraction is double f) o.OnPolicyFraction = (float)f; },
            Write = p => [("on_policy_fraction", p.OnPolicyFraction)], Read = (p, j) => p with { OnPolicyFraction = j["on_policy_fraction"]?.GetValue<double>() },
            Cell = p => p.OnPolicyFraction is double f ? Text(f, "F2") : null, Describe = p => p.OnPolicyFraction is double f ? $"on-policy {Text(f, "F2")}" : null,
        },
        new()
        {
            Name = nameof(NeoSearchSpace.WarmupFraction), Setting = s => s.WarmupFraction, Bounds = (0, 1),
            Get = p => p.WarmupFraction,
            Set = (p, v) => p with { WarmupFraction = (double?)v }, Apply = (o, p, _) => { if (p.WarmupFraction is double w) o.WarmupFraction = w; },
            Write = p => [("warmup_fraction", p.WarmupFraction)], Read = (p, j) => p with { WarmupFraction = j["warmup_fraction"]?.GetValue<double>() },
            Cell = p => p.WarmupFraction is double w ? Text(w, "F2") : null, Describe = p => p.WarmupFraction is double w ? $"warmup {Text(w, "F2")}" : null,
        },
        new()
        {
            Name = nameof(NeoSearchSpace.FinetuningKinds), Setting = s => s.FinetuningKinds, Valid = c => c is Finetuning f && Enum.IsDefined(f),
            Get = p => p.Finetuning,
            Set = (p, v) => p with { Finetuning = (Finetuning?)v }, Apply = (o, p, _) => { if (p.Finetuning is { } f) o.Finetuning = f; },
            Write = p => [("finetuning", p.Finetuning?.ToString())], Read = (p, j) => p with { Finetuning = Optional<Finetuning>(j["finetuning"]) },
            Cell = p => p.Finetuning?.ToString(), Describe = p => p.Finetuning is { } f ? (f == Finetuning.Full ? "full" : "LoRA") : null,
        },
        new()
        {
            Name = nameof(NeoSearchSpace.AdapterKinds), Setting = s => s.AdapterKinds, Valid = c => c is AdapterKind a && Enum.IsDefined(a),
            Get = p => p.Adapter,
            Set = (p, v) => p with { Adapter = (AdapterKind?)v }, UsedBy = p => p.Finetuning != Finetuning.Full,
            // After FinetuningKinds: when every weight is trained the adapter options do not apply, and NeoDistill
            // refuses a LoRA variant with Full, so they are cleared.
            Apply = (o, p, _) =>
            {
                if (o.Finetuning == Finetuning.Full) AdapterKind.Lora.ApplyTo(o);
                else if (p.Adapter is { } adapter) adapter.ApplyTo(o);
            },
            Write = p => [("adapter", p.Adapter?.ToString())], Read = (p, j) => p with { Adapter = Optional<AdapterKind>(j["adapter"]) },
            Cell = p => p.Adapter?.ToString(), Describe = p => p.Adapter?.ToString(),
        },
    ];

    /// <summary>The dimension of a name, or null (a teacher weight's).</summary>
    public static SweepDimension? Named(string name) => All.FirstOrDefault(d => d.Name == name);

    // A priming is valid when its own check passes (which throws, naming what is wrong).
    private static bool Validated(PrimingChoice priming)
    {
        priming.Validate();
        return true;
    }

    private static bool IsSkewed(Divergence divergence) => divergence is Divergence.SkewedForwardKL or Divergence.SkewedReverseKL;

    private static T? Optional<T>(JsonNode? node) where T : struct, Enum => node is null ? null : Enum.Parse<T>(node.GetValue<string>());

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
