using System.CommandLine;
using Microsoft.ML.Neo;

namespace Neo.Cli.Commands;

/// <summary>Options several commands share, and small factories that keep each command's option list readable.</summary>
internal static class CommonOptions
{
    /// <summary>--json, on every command: the result as one JSON document on standard output.</summary>
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Write the result as one JSON document on standard output (log lines go to standard error).",
        Recursive = true,
    };

    /// <summary>An option with a default value.</summary>
    public static Option<T> With<T>(string name, T defaultValue, string description) =>
        new(name) { DefaultValueFactory = _ => defaultValue, Description = description };

    /// <summary>An option without a default: null (or default) when not given.</summary>
    public static Option<T> Optional<T>(string name, string description) => new(name) { Description = description };

    /// <summary>An option that must be given.</summary>
    public static Option<T> Required<T>(string name, string description) => new(name) { Description = description, Required = true };

    /// <summary>--precision: the compute precision of the frozen weights.</summary>
    public static Option<ComputePrecision> Precision() => With("--precision", ComputePrecision.Auto,
        "Compute precision of the frozen weights: Auto (bfloat16 where the CPU is fast at it, else float32), Float32 or BFloat16.");

    /// <summary>The folder of the embedded quickstart models shipped with the tool.</summary>
    public static string EmbeddedModels => Path.Combine(AppContext.BaseDirectory, "EmbeddedModels");

    /// <summary>The prefix that names an embedded model in any model option: <c>--teacher embedded:styled-teacher</c>.</summary>
    public const string EmbeddedPrefix = "embedded:";

    /// <summary>The names of the embedded models, as <c>embedded:NAME</c>.</summary>
    public static IEnumerable<string> EmbeddedNames =>
        Directory.Exists(EmbeddedModels)
            ? Directory.GetDirectories(EmbeddedModels).Select(d => EmbeddedPrefix + Path.GetFileName(d)).Order(StringComparer.Ordinal)
            : Enumerable.Empty<string>();

    /// <summary>A model argument as a path: itself, or the folder of the embedded model that <c>embedded:NAME</c> names.</summary>
    public static string? ModelPath(string? value)
    {
        if (value is null || !value.StartsWith(EmbeddedPrefix, StringComparison.Ordinal)) return value;
        string folder = Path.Combine(EmbeddedModels, value[EmbeddedPrefix.Length..]);
        if (value.Length == EmbeddedPrefix.Length || !Directory.Exists(folder) || value.IndexOfAny(['/', '\\'], EmbeddedPrefix.Length) >= 0)
            throw new ArgumentException($"'{value}' names no embedded model; the tool ships {string.Join(", ", EmbeddedNames)}.");
        return folder;
    }
}
