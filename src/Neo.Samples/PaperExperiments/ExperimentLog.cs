using System.Globalization;
using System.Text.Json;

namespace PaperExperiments;

/// <summary>One finished training run of an experiment.</summary>
/// <param name="Condition">The row of the table it belongs to.</param>
/// <param name="Seed">Its seed.</param>
/// <param name="Accuracy">Held-out exact match, in percent.</param>
/// <param name="Seconds">Training wall time.</param>
/// <param name="PeakGiB">Peak resident memory during the run above the memory before it, when the OS reports it.</param>
/// <param name="Curve">(step, held-out loss) points, when recorded.</param>
internal sealed record ExperimentRun(string Condition, int Seed, double Accuracy, double Seconds, double? PeakGiB = null, double[][]? Curve = null);

/// <summary>
/// The results file of an experiment: one JSON line per finished run, tagged with the settings that produced it. A
/// rerun with the same settings reads the runs it already has and skips them, so an interrupted experiment continues
/// where it stopped.
/// </summary>
internal sealed class ExperimentLog
{
    /// <summary>Where the experiments write by default (results, plots, caches): a folder of their own, as every sample's.</summary>
    public const string OutputFolder = "samples-out/PaperExperiments";

    private readonly string path;
    private readonly string settings;
    private readonly Dictionary<(string, int), ExperimentRun> runs = new();

    public ExperimentLog(string path, string settings)
    {
        this.path = path;
        this.settings = settings;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path)) return;
        foreach (var line in File.ReadLines(path).Where(l => l.Trim().Length > 0))
        {
            using var json = JsonDocument.Parse(line);
            if (json.RootElement.GetProperty("settings").GetString() != settings) continue;
            var run = json.RootElement.GetProperty("run").Deserialize<ExperimentRun>()!;
            runs[(run.Condition, run.Seed)] = run;
        }
        Console.WriteLine($"{runs.Count} finished runs with these settings read from {path}; they are not repeated.");
    }

    public bool TryGet(string condition, int seed, out ExperimentRun run) => runs.TryGetValue((condition, seed), out run!);

    public ExperimentRun this[string condition, int seed] => runs[(condition, seed)];

    /// <summary>Keeps the run and appends it to the file at once.</summary>
    public void Add(ExperimentRun run)
    {
        runs[(run.Condition, run.Seed)] = run;
        File.AppendAllText(path, JsonSerializer.Serialize(new { settings, run }) + "\n");
    }

    /// <summary>"mean ± sd" (sample standard deviation) of some values, with one decimal.</summary>
    public static string MeanSd(IReadOnlyCollection<double> values, string unit = "")
    {
        double mean = values.Average();
        double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return string.Create(CultureInfo.InvariantCulture, $"{mean:F1} ± {sd:F1}{unit}");
    }

    public static string List(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)));
}
