using System.Text.Json;
using Microsoft.ML.Neo.Tests.Cli;

namespace Microsoft.ML.Neo.Tests.Benchmarks;

/// <summary>
/// neo-bench (test/Neo.Benchmarks), the benchmarks that left the neo tool: each command parses, the quick matmul table
/// runs, and the tool no longer carries them.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class BenchmarkHarnessTests
{
    private static (int ExitCode, string Stdout, string Stderr) Bench(params string[] args) => NeoCliTests.RunProgram(RepositoryPaths.BenchProgram(), args);

    [TestMethod]
    public void TheMatmulTableMeasuresWhatTheCpuCanRunAndReportsItUnderJson()
    {
        // Without native bf16 the matmul table keeps its float32 column and says why bf16 is skipped (libtorch would
        // emulate it at about 1 GFLOP/s); a command without a result of its own reports its lines as the JSON result.
        var (code, output, error) = Bench("train", "--matmul", "--json");
        Assert.AreEqual(0, code, error);
        var log = JsonDocument.Parse(output).RootElement.GetProperty("log").EnumerateArray().Select(l => l.GetString()!).ToList();
        Assert.IsTrue(log.Any(l => l.StartsWith("| 1024 × 1024 × 1024 |", StringComparison.Ordinal)), string.Join("\n", log));
        bool bf16 = CpuBf16Support.Current.Supported != false;
        Assert.AreEqual(!bf16, log.Any(l => l.StartsWith("bf16 skipped:", StringComparison.Ordinal)), "bf16 is skipped exactly when the CPU lacks it");
    }

    [TestMethod]
    public void EveryBenchmarkParsesAndTheToolNoLongerCarriesThem()
    {
        foreach (var command in new[] { "train", "accumulation", "generate", "serve-generate", "distill", "load", "served", "soak", "make-embedded" })
        {
            var help = Bench(command, "--help");
            Assert.AreEqual(0, help.ExitCode, $"neo-bench {command} --help: {help.Stderr}");
            StringAssert.Contains(help.Stdout, "neo-bench " + command, "the example names the harness");
            var neo = NeoCliTests.Neo(command == "distill" ? "bench-distill" : command == "train" ? "bench" : command == "make-embedded" ? command : "bench-" + command, "--help");
            Assert.AreEqual(2, neo.ExitCode, $"the neo tool still knows the benchmark {command}");
        }
        var mistyped = Bench("sevred");
        Assert.AreEqual(2, mistyped.ExitCode);
        StringAssert.Contains(mistyped.Stderr, "neo-bench: ");
        StringAssert.Contains(mistyped.Stderr, "did you mean 'served'?");
    }
}
