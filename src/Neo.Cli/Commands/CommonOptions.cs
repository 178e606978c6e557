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
}
