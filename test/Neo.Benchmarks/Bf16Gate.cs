using Microsoft.ML.Neo;


namespace Neo.Benchmarks;

/// <summary>
/// Whether the benchmarks measure bf16 on this CPU. Without native bf16 instructions libtorch emulates it at about
/// 1 GFLOP/s (docs/performance.md), so a bf16 measurement would take hours and say nothing: the benchmarks skip it,
/// say why once, and report float32 alone.
/// </summary>
internal static class Bf16Gate
{
    private static bool told;

    /// <summary>True unless the CPU reports no bf16 instructions (unknown flags: measured, as before).</summary>
    public static bool Available => CpuBf16Support.Current.Supported != false;

    /// <summary>Writes, once per process, why bf16 is not measured.</summary>
    public static void TellSkipped()
    {
        if (told) return;
        told = true;
        Console.WriteLine($"bf16 skipped: {CpuBf16Support.Current.Evidence}; libtorch would emulate it at about 1 GFLOP/s. Only float32 is measured.");
    }

    /// <summary>The precisions to measure: bf16 (and Auto, which would pick it) dropped where the CPU cannot run it.</summary>
    public static IReadOnlyList<ComputePrecision> Filter(IReadOnlyList<ComputePrecision> precisions)
    {
        if (Available) return precisions;
        var kept = precisions.Where(p => p == ComputePrecision.Float32).ToList();
        if (kept.Count < precisions.Count) TellSkipped();
        return kept;
    }
}
