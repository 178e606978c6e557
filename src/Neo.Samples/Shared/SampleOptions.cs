using Microsoft.Extensions.Configuration;

namespace Neo.Samples;

/// <summary>
/// A sample's command line: named options (<c>--teacher DIR --max-steps 20</c>), read with Microsoft.Extensions.Configuration's
/// command-line provider, each with a default that runs the sample as it is: the embedded models and data copied
/// next to the program, and an output folder of the sample's own under <c>samples-out/</c>.
/// <c>--help</c> prints the usage; an unknown option, a value that does not parse or a missing file exits 2 with the
/// reason and the usage, never a stack trace.
/// </summary>
internal sealed class SampleOptions
{
    private readonly IConfiguration values;
    private readonly string usage;

    private SampleOptions(IConfiguration values, string usage) => (this.values, this.usage) = (values, usage);

    /// <summary>Where every sample writes by default: one folder per sample under <c>samples-out/</c> in the current folder.</summary>
    public const string OutputRoot = "samples-out";

    /// <summary>One of the embedded models copied next to the program (from src/Neo.Cli/EmbeddedModels).</summary>
    public static string Embedded(string name) => Path.Combine(AppContext.BaseDirectory, "EmbeddedModels", name);

    /// <summary>One of the data files copied next to the program (from src/Neo.Samples/data).</summary>
    public static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);

    /// <summary>Runs a sample: parses <paramref name="args"/> against the options <paramref name="usage"/> lists, then the body.</summary>
    /// <param name="usage">The usage text: its first line names the program, each later line that starts with
    /// <c>--name</c> is an option it takes.</param>
    public static async Task<int> RunAsync(string[] args, string usage, Func<SampleOptions, Task<int>> body)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(usage);
            return 0;
        }
        try
        {
            return await body(Parse(args, usage));
        }
        catch (Exception e) when (e is SampleUsageException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or Microsoft.ML.Neo.UnreadableFileException)
        {
            Console.Error.WriteLine($"{usage.Split('\n')[0].Split(' ')[1]}: {e.Message}");
            if (e is SampleUsageException) Console.Error.WriteLine(usage);
            return 2;
        }
    }

    /// <inheritdoc cref="RunAsync"/>
    public static int Run(string[] args, string usage, Func<SampleOptions, int> body) =>
        RunAsync(args, usage, options => Task.FromResult(body(options))).GetAwaiter().GetResult();

    private static SampleOptions Parse(string[] args, string usage)
    {
        var known = usage.Split('\n').Select(line => line.Trim()).Where(line => line.StartsWith("--", StringComparison.Ordinal))
            .Select(line => line[2..].Split(' ', '=')[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                throw new SampleUsageException($"'{arg}' is not an option; the samples take named options, like --teacher DIR.");
            string name = arg[2..].Split('=')[0];
            if (!known.Contains(name)) throw new SampleUsageException($"'--{name}' is not an option of this sample.");
            if (!arg.Contains('=') && (i + 1 == args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
                throw new SampleUsageException($"--{name} needs a value.");
            if (!arg.Contains('=')) i++;
        }
        return new SampleOptions(new ConfigurationBuilder().AddCommandLine(args).Build(), usage);
    }

    /// <summary>An option's text, or its default.</summary>
    public string Text(string name, string defaultValue) => values[name] ?? defaultValue;

    /// <summary>An option's text, or null when it is not given.</summary>
    public string? Text(string name) => values[name];

    /// <summary>A whole-number option, or its default.</summary>
    public int Number(string name, int defaultValue) =>
        values[name] is not { } text ? defaultValue
        : int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out int value) ? value
        : throw new SampleUsageException($"--{name} takes a whole number, not '{text}'.");

    /// <summary>A number option, or its default.</summary>
    public float Real(string name, float defaultValue) =>
        values[name] is not { } text ? defaultValue
        : float.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float value) ? value
        : throw new SampleUsageException($"--{name} takes a number, not '{text}'.");

    /// <summary>A model folder or zip that must exist: the option's value, or its default.</summary>
    public string ExistingPath(string name, string defaultValue)
    {
        string path = Text(name, defaultValue);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new SampleUsageException($"--{name} '{path}' does not exist" + (values[name] is null ? " (the default; pass --" + name + ")." : "."));
        return path;
    }

    /// <summary>The sample's output folder (<c>--out</c>, default <c>samples-out/SAMPLE</c>), created.</summary>
    public string OutputFolder(string sample)
    {
        string folder = Text("out", Path.Combine(OutputRoot, sample));
        Directory.CreateDirectory(folder);
        return folder;
    }
}

/// <summary>A sample's command line asks for something it does not take: exit 2 with the usage.</summary>
internal sealed class SampleUsageException(string message) : Exception(message);
