using System.Diagnostics;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Neo.Samples.Commands;

/// <summary>What one measured training run gives a benchmark table: steady throughput, the time split and memory.</summary>
/// <param name="TokensPerSecond">Training tokens per second between the first counted step and the last.</param>
/// <param name="Phases">Mean seconds per step of each phase, over the counted steps.</param>
/// <param name="StepSeconds">Mean wall-clock seconds per counted step.</param>
/// <param name="PeakAboveStartGiB">Peak resident memory during the counted steps minus the memory when they began
/// (weights, optimizer state: what the steps themselves add), or null where unreadable.</param>
/// <param name="PeakGiB">The process's peak resident memory so far (loading included), or null where unreadable.</param>
internal sealed record RunMeasurement(double TokensPerSecond, double[] Phases, double StepSeconds, double? PeakAboveStartGiB, double? PeakGiB)
{
    public static string Header =>
        "| variant | tokens/s | s/step | teacher fwd | student fwd | loss | backward | optimizer | step peak above start | process peak |\n" +
        "|---|---|---|---|---|---|---|---|---|---|";

    public string Row(string label)
    {
        string Share(TrainingPhase p) => $"{Phases[(int)p]:F3} s ({Phases[(int)p] / StepSeconds:P0})";
        return $"| {label} | {TokensPerSecond:F1} | {StepSeconds:F3} | {Share(TrainingPhase.TeacherForward)} | {Share(TrainingPhase.StudentForward)} | " +
            $"{Share(TrainingPhase.Loss)} | {Share(TrainingPhase.Backward)} | {Share(TrainingPhase.Optimizer)} | " +
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

/// <summary>Matrix-multiply throughput of this process's libtorch, the denominator of MFU.</summary>
internal static class MatmulPeak
{
    /// <returns>GFLOP/s of [m, k] × [k, n] in <paramref name="dtype"/>, the best of a few timed rounds.</returns>
    public static double Gflops(ScalarType dtype, int m, int k, int n, int rounds = 3)
    {
        using var scope = NewDisposeScope();
        var a = randn(m, k).to(dtype);
        var b = randn(k, n).to(dtype);
        matmul(a, b).Dispose(); // warm-up
        int count = Math.Max(1, (int)(4e9 / (2.0 * m * k * n)));
        double best = 0;
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i++) matmul(a, b).Dispose();
            best = Math.Max(best, 2.0 * m * k * n * count / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
