using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.Neo.Training;
using Spectre.Console;

namespace Neo.Cli.Terminal;

/// <summary>
/// Where a command writes. Human-readable lines go to standard output, or to standard error under --json so that
/// standard output holds exactly one JSON document. Progress is a live bar on a terminal and plain lines otherwise.
/// </summary>
internal sealed class CliConsole(bool json)
{
    // Standard output as the process got it: under --json, CommandAction points Console.Out at standard error while a
    // command runs (so a stray line cannot break the JSON), and only the result and errors are written here.
    private readonly TextWriter output = Console.Out;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
        // Prompts and tokens read as written ("<s>", "don't"), not as \u003C escapes; the output stays valid JSON.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>True under --json.</summary>
    public bool Json { get; } = json;

    /// <summary>True when a live progress bar can be drawn: a terminal, not redirected, not --json.</summary>
    public bool Interactive => !Json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>The writer for human-readable lines.</summary>
    public TextWriter Text => Json ? Console.Error : Console.Out;

    public void WriteLine(string line = "") => Text.WriteLine(line);

    /// <summary>Writes the command's result as JSON on standard output (under --json only).</summary>
    public void WriteResult(object result)
    {
        if (!Json) return;
        output.WriteLine(JsonSerializer.Serialize(result, result.GetType(), JsonOptions));
        ResultWritten = true;
    }

    /// <summary>Whether the command wrote its result (under --json).</summary>
    public bool ResultWritten { get; private set; }

    /// <summary>Writes an error: a line on standard error, and under --json an error document on standard output.</summary>
    public void WriteError(string message, int exitCode)
    {
        Console.Error.WriteLine($"{NeoCommandLine.ProgramName}: {message}");
        if (Json) output.WriteLine(JsonSerializer.Serialize(new { error = message, exitCode }, JsonOptions));
    }

    /// <summary>Writes a warning on standard error: the work goes on.</summary>
    public void WriteWarning(string message) => Console.Error.WriteLine($"{NeoCommandLine.ProgramName}: warning: {message}");

    /// <summary>Runs training work under a progress bar (terminal) or with a plain line every 5 % and every 30 s.</summary>
    public T Train<T>(string title, Func<IProgress<TrainingProgress>, T> work) =>
        Interactive ? ProgressBar.Run(title, work) : work(new PlainProgress(title, Text));

    private sealed class PlainProgress(string title, TextWriter output) : IProgress<TrainingProgress>
    {
        private DateTime lastLine = DateTime.MinValue;

        public void Report(TrainingProgress p)
        {
            int every = Math.Max(1, p.TotalSteps / 20);
            bool due = p.Step == 1 || p.Step == p.TotalSteps || p.Step % every == 0 || DateTime.UtcNow - lastLine > TimeSpan.FromSeconds(30);
            if (!due) return;
            lastLine = DateTime.UtcNow;
            output.WriteLine(FormattableString.Invariant(
                $"{title}: step {p.Step}/{p.TotalSteps} ({100.0 * p.Step / p.TotalSteps:F0} %), loss {p.Loss:F4} (ce {p.CrossEntropy:F4}, kd {p.Divergence:F4}), {p.TokensPerSecond:F0} tok/s, ETA {p.Remaining:hh\\:mm\\:ss}"));
        }
    }
}
