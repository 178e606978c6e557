using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data.Synthetic;
using static TorchSharp.torch;

namespace Neo.Samples.Commands;

/// <summary>
/// Time and memory of the docs/using-your-own-models.md walkthrough on this machine's CPU, with random weights, in
/// float32 and in bfloat16 in the same run, beside the fp32 and bf16 matmul peaks measured in it:
///   bench-distill [--steps 6] [--batch 4] [--layers 4] [--dir /tmp/neo-distill-1b] [--keep] [--precisions float32,bfloat16]
/// Writes a random bf16 checkpoint of TinyLlama-1.1B's shape (with the embedded tokenizer, whose ids fit its
/// 32000-entry vocabulary), makes a student of some of its layers as the make-student sample does, writes
/// word-problem data, then runs the distill sample on them in a child process per precision (so each peak memory is
/// its own), which reports its load and training time, its per-step time split and its peak memory.
/// </summary>
internal static class BenchDistillCommand
{
    public static int Run(CommandLine args)
    {
        string root = args.Get("dir", Path.Combine(Path.GetTempPath(), "neo-distill-1b"));
        int steps = args.Get("steps", 6), batch = args.Get("batch", 4);
        var tokenizer = EmbeddedTask.CreateTokenizer();
        var clock = Stopwatch.StartNew();
        using (var teacher = CausalLM.Create(BenchLoadCommand.OneB, tokenizer, seed: 1))
        {
            teacher.SavePretrained(Path.Combine(root, "teacher"), SafeTensorsDtype.BFloat16);
            Console.WriteLine($"teacher: {teacher.ParameterCount / 1e9:F2} B parameters written as bf16 ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        GC.Collect();
        using (var student = CausalLM.FromPretrainedLayers(Path.Combine(root, "teacher"), args.Get("layers", 4)))
        {
            student.SavePretrained(Path.Combine(root, "student"), SafeTensorsDtype.BFloat16);
            Console.WriteLine($"student: {student.Config.NumHiddenLayers} of the teacher's layers, {student.ParameterCount / 1e9:F2} B parameters ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        string data = Path.Combine(root, "train.jsonl");
        File.WriteAllLines(data, ArithmeticWordProblems.Generate(steps * batch, seed: 1)
            .Select(p => JsonSerializer.Serialize(new { prompt = p.Prompt, response = p.Solution })));
        GC.Collect();

        // The TinyLlama MLP's shape and a square one, the denominators of the ratios below.
        double fp32Peak = Math.Max(MatmulPeak.Gflops(ScalarType.Float32, 1024, 2048, 5632), MatmulPeak.Gflops(ScalarType.Float32, 2048, 2048, 2048));
        double bf16Peak = Math.Max(MatmulPeak.Gflops(ScalarType.BFloat16, 1024, 2048, 5632), MatmulPeak.Gflops(ScalarType.BFloat16, 2048, 2048, 2048));
        Console.WriteLine($"matmul peaks in this run: fp32 {fp32Peak:F1}, bf16 {bf16Peak:F1} GFLOP/s");

        var results = new List<(string Precision, RunMeasurement Measured)>();
        foreach (var precision in args.Get("precisions", "float32,bfloat16").Split(','))
        {
            string resultFile = Path.Combine(root, $"result-{precision}.json");
            var start = new ProcessStartInfo("dotnet");
            foreach (var arg in new[]
            {
                typeof(BenchDistillCommand).Assembly.Location, "distill", "--teacher", Path.Combine(root, "teacher"),
                "--student", Path.Combine(root, "student"), "--data", data, "--batch", batch.ToString(), "--max-steps", steps.ToString(),
                "--rank", "8", "--max-new-tokens", "16", "--out", Path.Combine(root, $"student-{precision}.zip"),
                "--precision", precision, "--result-json", resultFile,
            }) start.ArgumentList.Add(arg);
            Console.WriteLine($"running: dotnet {string.Join(' ', start.ArgumentList.Skip(1))}");
            using var child = Process.Start(start)!;
            child.WaitForExit();
            if (child.ExitCode != 0) return child.ExitCode;
            results.Add((precision, JsonSerializer.Deserialize<RunMeasurement>(File.ReadAllText(resultFile))!));
        }
        Console.WriteLine();
        Console.WriteLine(RunMeasurement.Header);
        foreach (var (precision, measured) in results) Console.WriteLine(measured.Row(precision));
        if (results.Count == 2)
        {
            var (a, b) = (results[0].Measured, results[1].Measured);
            Console.WriteLine($"{results[1].Precision} / {results[0].Precision}: tokens/s {b.TokensPerSecond / a.TokensPerSecond:F2}x, " +
                $"process peak {b.PeakGiB / a.PeakGiB:F2}x; matmul peaks bf16 / fp32 {bf16Peak / fp32Peak:F2}x");
        }
        if (!args.Has("keep")) Directory.Delete(root, recursive: true);
        return 0;
    }
}
