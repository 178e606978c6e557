using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Neo.Data.Synthetic;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Benchmarks;

/// <summary>
/// Gradient accumulation: the same LoRA KD run (the reference configuration's models, batch 32) with the whole batch
/// in one pass and in micro-batches, each in a fresh neo process, so every peak is measured from zero.
///   neo-bench accumulation [--batch 32] [--micro-batches 0,4,8] [--steps 6]
/// Reported per micro-batch: the memory the steps add above the loaded models (peak resident minus resident when
/// training began), tokens/s and the last step's loss, with ratios against the whole batch measured in the same run.
/// </summary>
internal static class AccumulationBench
{
    public static Command Create()
    {
        var batch = With("--batch", 32, "Sequences per optimizer step.");
        var microBatches = With("--micro-batches", "0,4,8", "Micro-batch sizes to compare (0: the whole batch in one pass, the baseline).");
        var steps = With("--steps", 6, "Optimizer steps per run (the first is not counted in tokens/s).");
        var command = new Command("accumulation",
            "Peak memory, throughput and loss of gradient accumulation (micro-batches) against the whole batch, each run in its own neo process.")
        {
            batch, microBatches, steps,
        }.WithExample("neo-bench accumulation --batch 32 --micro-batches 0,4,8");
        command.SetWork((parse, console, _) => Run(parse.GetValue(batch), parse.GetValue(microBatches)!.Split(',').Select(int.Parse).ToList(), parse.GetValue(steps)));
        return command;
    }

    private static int Run(int batch, List<int> microBatches, int steps)
    {
        string root = Path.Combine(Path.GetTempPath(), "neo-bench-accumulation-" + Environment.ProcessId);
        try
        {
            var tokenizer = EmbeddedTask.CreateTokenizer();
            int vocab = tokenizer.VocabularySize;
            using (var student = CausalLM.Create(TrainingBench.Student(vocab), tokenizer, seed: 1)) student.SavePretrained(Path.Combine(root, "student"));
            using (var teacher = CausalLM.Create(TrainingBench.Teacher(vocab), tokenizer, seed: 2)) teacher.SavePretrained(Path.Combine(root, "teacher"));
            string data = Path.Combine(root, "train.jsonl");
            File.WriteAllLines(data, ArithmeticWordProblems.Generate(batch * steps, seed: 1)
                .Select(p => JsonSerializer.Serialize(new { prompt = p.Prompt, response = p.Solution })));

            var results = new List<(int MicroBatch, RunMeasurement Measured, double Loss, double Seconds)>();
            var alone = new Dictionary<int, RunMeasurement>();
            // Each micro-batch size with accumulation up to the batch, then as a batch of its own (what its memory should be close to).
            foreach (var (micro, stepBatch) in microBatches.Select(m => (m, batch)).Concat(microBatches.Where(m => m > 0).Select(m => (0, m))))
            {
                string[] args =
                {
                    "distill", "--teacher", Path.Combine(root, "teacher"), "--student", Path.Combine(root, "student"), "--data", data,
                    "--batch", stepBatch.ToString(), "--micro-batch", micro.ToString(), "--max-steps", steps.ToString(), "--rank", "16",
                    "--precision", "float32", "--out", Path.Combine(root, $"micro-{micro}-{stepBatch}.zip"), "--json",
                };
                Console.WriteLine($"running: neo {string.Join(' ', args)}");
                var clock = Stopwatch.StartNew();
                using var child = NeoChild.StartTool(args);
                string json = child.StandardOutput.ReadToEnd();
                child.WaitForExit();
                if (child.ExitCode != 0) return child.ExitCode;
                using var result = JsonDocument.Parse(json);
                var measured = result.RootElement.GetProperty("measurement").Deserialize<RunMeasurement>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
                if (stepBatch != batch) alone[stepBatch] = measured;
                else results.Add((micro, measured, result.RootElement.GetProperty("loss").GetDouble(), clock.Elapsed.TotalSeconds));
            }

            var baseline = results.FirstOrDefault(r => r.MicroBatch == 0);
            Console.WriteLine();
            Console.WriteLine($"| micro-batch (batch {batch}) | memory the steps add | vs whole batch | the micro-batch alone (no accumulation) | tokens/s | vs whole batch | last step's loss | relative difference |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (var (micro, measured, loss, _) in results)
            {
                string Ratio(double? value, double? reference) => value is double v && reference is double r && r > 0 ? $"{v / r:F2}x" : "n/a";
                Console.WriteLine($"| {(micro == 0 ? "none (whole batch)" : micro.ToString())} | {measured.PeakAboveStartGiB * 1024:F0} MiB | " +
                    $"{Ratio(measured.PeakAboveStartGiB, baseline.Measured?.PeakAboveStartGiB)} | " +
                    $"{(alone.TryGetValue(micro, out var own) ? $"{own.PeakAboveStartGiB * 1024:F0} MiB" : "")} | {measured.TokensPerSecond:F0} | " +
                    $"{Ratio(measured.TokensPerSecond, baseline.Measured?.TokensPerSecond)} | {loss:G6} | " +
                    $"{(baseline.Measured is null ? "n/a" : (Math.Abs(loss - baseline.Loss) / baseline.Loss).ToString("E1"))} |");
            }
            return ExitCodes.Success;
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
