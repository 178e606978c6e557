using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data.Synthetic;
using static TorchSharp.torch;

using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Benchmarks;

/// <summary>
/// Time and memory of the docs/using-your-own-models.md walkthrough on this machine's CPU, with random weights, in
/// float32 and in bfloat16 in the same run, beside the fp32 and bf16 matmul peaks measured in it:
///   bench-distill [--steps 6] [--batch 4] [--layers 4] [--dir /tmp/neo-distill-1b] [--keep] [--precisions float32,bfloat16]
/// Writes a random bf16 checkpoint of TinyLlama-1.1B's shape (with the embedded tokenizer, whose ids fit its
/// 32000-entry vocabulary), makes a student of some of its layers as the make-student sample does, writes
/// word-problem data, then runs the distill sample on them in a child process per precision (so each peak memory is
/// its own), which reports its load and training time, its per-step time split and its peak memory.
/// </summary>
internal static class DistillBench
{
    public static Command Create()
    {
        var dir = With("--dir", Path.Combine(Path.GetTempPath(), "neo-distill-1b"), "Where to write the teacher, student and data.");
        var steps = With("--steps", 6, "Training steps per precision.");
        var batch = With("--batch", 4, "Batch size.");
        var layers = With("--layers", 4, "Student layers taken from the teacher.");
        var precisions = With("--precisions", "float32,bfloat16", "Precisions to run, each in its own child process.");
        var keep = With("--keep", false, "Keep the folder afterwards.");
        var command = new Command("distill",
            "Time and memory of distilling a TinyLlama-shaped 1.1B teacher into a 4-layer student, per precision in a child process.")
        {
            dir, steps, batch, layers, precisions, keep,
        }.WithExample("neo-bench distill --steps 6 --precisions float32,bfloat16");
        command.SetWork((parse, console, _) => Run(parse.GetValue(dir)!, parse.GetValue(steps), parse.GetValue(batch), parse.GetValue(layers),
            parse.GetValue(precisions)!, parse.GetValue(keep)));
        return command;
    }

    private static int Run(string root, int steps, int batch, int layers, string precisionList, bool keep)
    {
        var tokenizer = EmbeddedTask.CreateTokenizer();
        var clock = Stopwatch.StartNew();
        using (var teacher = CausalLM.Create(LoadBench.OneB, tokenizer, seed: 1))
        {
            teacher.SavePretrained(Path.Combine(root, "teacher"), SafeTensorsDtype.BFloat16);
            Console.WriteLine($"teacher: {teacher.ParameterCount / 1e9:F2} B parameters written as bf16 ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        GC.Collect();
        using (var student = CausalLM.FromPretrainedLayers(Path.Combine(root, "teacher"), layers))
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
        var chosen = precisionList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (!Bf16Gate.Available && chosen.RemoveAll(p => !p.Equals("float32", StringComparison.OrdinalIgnoreCase)) > 0) Bf16Gate.TellSkipped();
        foreach (var precision in chosen)
        {
            // The child writes its result as JSON on standard output (--json) and its log on standard error.
            string[] args =
            {
                "distill", "--teacher", Path.Combine(root, "teacher"),
                "--student", Path.Combine(root, "student"), "--data", data, "--batch", batch.ToString(), "--max-steps", steps.ToString(),
                "--rank", "8", "--max-new-tokens", "16", "--out", Path.Combine(root, $"student-{precision}.zip"),
                "--precision", precision, "--json",
            };
            Console.WriteLine($"running: neo {string.Join(' ', args)}");
            using var child = NeoChild.StartTool(args);
            string json = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            if (child.ExitCode != 0) return child.ExitCode;
            using var result = JsonDocument.Parse(json);
            var measurement = result.RootElement.GetProperty("measurement");
            results.Add((precision, measurement.Deserialize<RunMeasurement>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!));
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
        if (!keep) Directory.Delete(root, recursive: true);
        return ExitCodes.Success;
    }
}
