using System.Diagnostics;

namespace Neo.Benchmarks;

/// <summary>
/// A program started in a fresh process, for benchmarks whose measurement needs a process of its own (peak memory from
/// zero, a crash that must not end the benchmark): this harness again, or the neo tool built beside it.
/// </summary>
internal static class NeoChild
{
    /// <summary>Starts <c>dotnet neo-bench.dll ARGS</c> with standard output redirected (standard error too when asked).</summary>
    public static Process Start(IEnumerable<string> args, bool redirectErrors = false) =>
        Run(typeof(NeoChild).Assembly.Location, args, redirectErrors);

    /// <summary>
    /// Starts the neo tool (<c>src/Neo.Cli/bin/CONFIGURATION/FRAMEWORK/neo.dll</c>, built with the same configuration as
    /// this harness) with standard output redirected.
    /// </summary>
    public static Process StartTool(IEnumerable<string> args)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "NeoMl.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException($"The repository root (NeoMl.sln) is not above {output.FullName}; run the benchmarks from a clone.");
        string tool = Path.Combine(root.FullName, "src", "Neo.Cli", "bin", output.Parent!.Name, output.Name, "neo.dll");
        if (!File.Exists(tool)) throw new FileNotFoundException($"The neo tool is not built at {tool}; run ./build.sh bench, which builds it.", tool);
        return Run(tool, args, redirectErrors: false);
    }

    private static Process Run(string program, IEnumerable<string> args, bool redirectErrors)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = redirectErrors };
        start.ArgumentList.Add(program);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }
}
