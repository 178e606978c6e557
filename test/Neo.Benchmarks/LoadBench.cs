using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Modeling;

using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Benchmarks;

/// <summary>
/// Peak memory of loading a 1B-parameter checkpoint (TinyLlama-1.1B's shape, random bf16 weights).
///   neo-bench load [--dir /tmp/neo-1b] [--keep]
/// Creates the checkpoint, then loads it in a child process and reports that process's peak resident memory
/// (VmHWM) against the float32 size of the weights.
/// </summary>
internal static class LoadBench
{
    // TinyLlama-1.1B: hidden 2048, 22 layers, 32 heads, 4 KV heads, MLP 5632, vocabulary 32000, untied head.
    internal static readonly ModelConfig OneB = new()
    {
        VocabSize = 32000, HiddenSize = 2048, IntermediateSize = 5632, NumHiddenLayers = 22, NumAttentionHeads = 32,
        NumKeyValueHeads = 4, MaxPositionEmbeddings = 2048, TieWordEmbeddings = false, BosTokenId = 1, EosTokenId = 2,
    };

    public static Command Create()
    {
        var dir = With("--dir", Path.Combine(Path.GetTempPath(), "neo-1b"), "Where to write the 1B checkpoint.");
        var phase = With("--phase", "all", "all: write the checkpoint and load it in a child process; load: only load (the child's part).").AcceptOnlyFromAmong("all", "load");
        var keep = With("--keep", false, "Keep the checkpoint afterwards.");
        var command = new Command("load",
            "Peak memory of loading a 1B-parameter checkpoint (TinyLlama-1.1B's shape, random bf16 weights) in a fresh process.")
        {
            dir, phase, keep,
        }.WithExample("neo-bench load --dir /tmp/neo-1b");
        command.SetWork((parse, console, _) => parse.GetValue(phase) == "load" ? Load(parse.GetValue(dir)!) : Run(parse.GetValue(dir)!, parse.GetValue(keep)));
        return command;
    }

    private static int Run(string directory, bool keep)
    {

        var clock = Stopwatch.StartNew();
        using (var model = CausalLM.Create(OneB, tokenizer: null, seed: 1))
        {
            Console.WriteLine($"created {model.ParameterCount / 1e9:F2} B parameters in {clock.Elapsed.TotalSeconds:F0} s; writing bf16 safetensors...");
            model.SavePretrained(directory, SafeTensorsDtype.BFloat16);
        }
        Console.WriteLine($"checkpoint: {new FileInfo(Path.Combine(directory, "model.safetensors")).Length / 1e9:F2} GB on disk");
        GC.Collect();

        using var child = NeoChild.Start(new[] { "load", "--phase", "load", "--dir", directory });
        Console.Write(child.StandardOutput.ReadToEnd());
        child.WaitForExit();
        if (!keep) Directory.Delete(directory, recursive: true);
        return child.ExitCode;
    }

    private static int Load(string directory)
    {
        double baselineGiB = ProcessMemory.CurrentGiB
            ?? throw new PlatformNotSupportedException("/proc/self/status is missing; this benchmark needs Linux.");
        var clock = Stopwatch.StartNew();
        using var model = CausalLM.FromPretrained(directory);
        double seconds = clock.Elapsed.TotalSeconds;
        double peakGiB = ProcessMemory.PeakGiB!.Value;
        double weights = model.ParameterCount * 4.0 / (1 << 30);
        Console.WriteLine($"loaded in {seconds:F0} s; float32 weights {weights:F2} GiB; process peak {peakGiB:F2} GiB " +
                          $"(runtime baseline before loading {baselineGiB:F2} GiB); peak over weights + baseline: {(peakGiB - baselineGiB) / weights:F2}x");
        return 0;
    }
}
