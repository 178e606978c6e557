using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Training;

namespace Neo.Cli.Measurement;

/// <summary>What one measured training run gives a benchmark table: steady throughput, the time split and memory.</summary>
/// <param name="TokensPerSecond">Training tokens per second between the first counted step and the last.</param>
/// <param name="Phases">Mean seconds per step of each phase, over the counted steps.</param>
/// <param name="StepSeconds">Mean wall-clock seconds per counted step.</param>
/// <param name="PeakAboveStartGiB">Peak resident memory during the counted steps minus the memory when they began
/// (weights, optimizer state: what the steps themselves add), or null where unreadable.</param>
/// <param name="PeakGiB">The process's peak resident memory so far (loading included), or null where unreadable.</param>
internal sealed record RunMeasurement(
    double TokensPerSecond, [property: System.Text.Json.Serialization.JsonIgnore] double[] Phases, double StepSeconds, double? PeakAboveStartGiB, double? PeakGiB)
{
    /// <summary>Read back from JSON (bench-distill reads its child processes' results): phases by name, as written.</summary>
    [System.Text.Json.Serialization.JsonConstructor]
    public RunMeasurement(double tokensPerSecond, IReadOnlyDictionary<string, double> phaseSeconds, double stepSeconds, double? peakAboveStartGiB,
        double? peakGiB)
        : this(tokensPerSecond, Enum.GetValues<TrainingPhase>().Select(p => phaseSeconds[PhaseName(p)]).ToArray(), stepSeconds, peakAboveStartGiB, peakGiB)
    {
    }

    /// <summary>Mean seconds per step of each phase, by name (what --json writes; <see cref="Phases"/> is by index).</summary>
    public IReadOnlyDictionary<string, double> PhaseSeconds => Enum.GetValues<TrainingPhase>().ToDictionary(PhaseName, p => Phases[(int)p]);

    private static string PhaseName(TrainingPhase phase) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(phase.ToString());

    public static string Header =>
        "| variant | tokens/s | s/step | student gen | teacher fwd | student fwd | loss | backward | optimizer | step peak above start | process peak |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|";

    public string Row(string label)
    {
        string Share(TrainingPhase p) => $"{Phases[(int)p]:F3} s ({Phases[(int)p] / StepSeconds:P0})";
        // student gen: the on-policy steps' sampling (zero when OnPolicyFraction is 0), part of the step's time.
        return $"| {label} | {TokensPerSecond:F1} | {StepSeconds:F3} | {Share(TrainingPhase.StudentGeneration)} | " +
            $"{Share(TrainingPhase.TeacherForward)} | {Share(TrainingPhase.StudentForward)} | {Share(TrainingPhase.Loss)} | " +
            $"{Share(TrainingPhase.Backward)} | {Share(TrainingPhase.Optimizer)} | " +
            $"{Gib(PeakAboveStartGiB)} | {Gib(PeakGiB)} |";
    }

    private static string Gib(double? value) => value is double v ? $"{v:F2} GiB" : "n/a";
}

/// <summary>
/// Collects a run's progress reports; the first <c>skip</c> steps are warm-up (allocator, optimizer state) and are not
/// counted. When the last warm-up step is reported, the process's peak memory is reset, so the peak read at the end
/// belongs to the counted steps.
/// </summary>
internal sealed class PhaseRecorder(int skip) : IProgress<TrainingProgress>
{
    private readonly List<TrainingProgress> reports = new();
    private double? memoryAtStart, peakBeforeStart;

    public IReadOnlyList<TrainingProgress> Reports => reports;

    public void Report(TrainingProgress value)
    {
        reports.Add(value);
        if (reports.Count != skip) return;
        peakBeforeStart = ProcessMemory.PeakGiB; // loading and warm-up: still part of the process's peak
        if (ProcessMemory.ResetPeak()) memoryAtStart = ProcessMemory.CurrentGiB;
    }

    /// <summary>Fits NeoDistill on <paramref name="rows"/> with a recorder attached and measures the steps after <paramref name="skip"/>.</summary>
    public static RunMeasurement Fit(NeoDistillOptions options, IEnumerable<PromptResponseRow> rows, int skip)
    {
        var ml = new MLContext(seed: 1);
        var recorder = new PhaseRecorder(skip);
        options.Progress = recorder;
        using var model = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(rows));
        return recorder.Measure();
    }

    public RunMeasurement Measure()
    {
        if (reports.Count <= skip) throw new InvalidOperationException($"Only {reports.Count} steps ran; {skip} are warm-up.");
        var counted = reports.Skip(skip).ToList();
        var before = reports[skip - 1];
        double seconds = (reports[^1].Elapsed - before.Elapsed).TotalSeconds;
        var phases = Enum.GetValues<TrainingPhase>().Select(p => counted.Average(r => r.Phases![p])).ToArray();
        double? peak = ProcessMemory.PeakGiB;
        return new RunMeasurement((reports[^1].TokensSeen - before.TokensSeen) / seconds, phases, seconds / counted.Count,
            peak - memoryAtStart, peak is double p && peakBeforeStart is double b ? Math.Max(p, b) : peak);
    }
}
