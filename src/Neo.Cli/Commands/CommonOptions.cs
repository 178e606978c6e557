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

    /// <summary>The default --prompt-key and --response-key.</summary>
    public const string DefaultPromptKey = "prompt", DefaultResponseKey = "response";

    /// <summary>--prompt-key: the prompt's field in JSON-lines data (a GSM8K file is read as such with the default).</summary>
    public static Option<string> PromptKey(string where = "the data") => With("--prompt-key", DefaultPromptKey,
        $"The prompt's field name in {where} (with the defaults, a GSM8K file's question and answer are read as prompt and response).");

    /// <summary>--response-key: the reference response's field in JSON-lines data.</summary>
    public static Option<string> ResponseKey(string where = "the data") => With("--response-key", DefaultResponseKey,
        $"The reference response's field name in {where}.");

    /// <summary>Text typed on a command line: <c>\n</c> (backslash, n) stands for a line break, as prompts need one.</summary>
    public static string TypedText(string raw) => raw.Replace("\\n", "\n", StringComparison.Ordinal);

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

    /// <summary>
    /// A model path that must exist, checked before a command reads data or writes anything: a folder or zip, or
    /// <c>embedded:NAME</c>. The refusal names the flag and what it takes.
    /// </summary>
    public static string ExistingModel(string flag, string value)
    {
        string path = ModelPath(value)!;
        if (!Directory.Exists(path) && !File.Exists(path))
            throw new UsageException($"{flag} '{value}' does not exist; give a Hugging Face model folder (config.json and *.safetensors), " +
                                     $"a model zip saved by neo distill, or a model the tool ships ({string.Join(", ", EmbeddedNames)}; `neo init --out DIR` writes them to folders).");
        return path;
    }

    /// <summary>A data file (or folder) that must exist, checked before anything is read or written.</summary>
    /// <param name="what">What the flag takes, completing "give ..." in the refusal.</param>
    public static string ExistingInput(string flag, string path, string what)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new UsageException($"{flag} '{path}' does not exist; give {what}.");
        return path;
    }

    /// <summary>What --data takes, as the refusals say it.</summary>
    public const string JsonLinesData = "a JSON-lines file with one object per line (`neo help data`; `neo init --out DIR` writes an example)";

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
