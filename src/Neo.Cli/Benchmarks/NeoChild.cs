using System.Diagnostics;

namespace Neo.Cli.Benchmarks;

/// <summary>
/// This same neo tool, started in a fresh process: for benchmarks whose measurement needs a process of its own (peak
/// memory from zero, a crash that must not end the benchmark).
/// </summary>
internal static class NeoChild
{
    /// <summary>Starts <c>dotnet neo.dll ARGS</c> with standard output redirected (standard error too when asked).</summary>
    public static Process Start(IEnumerable<string> args, bool redirectErrors = false)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = redirectErrors };
        start.ArgumentList.Add(typeof(NeoChild).Assembly.Location);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }
}
