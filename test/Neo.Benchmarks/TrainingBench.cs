using System.CommandLine;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Benchmarks;

/// <summary>
/// Training throughput, model FLOP utilisation (MFU) and the per-step time split for the reference configuration in
/// docs/performance.md, in float32 and bfloat16 in the same run, beside the fp32 and bf16 matmul peaks measured in it;
/// then the big-vocabulary loss case (<see cref="BigVocabularyBench"/>).
/// and the activation-checkpointing case (<see cref="CheckpointingBench"/>).
///   neo-bench train [--steps 40] [--repeats 3] [--batch 16] [--rank 16] [--skip-vocab] [--vocab-only] [--skip-checkpointing]
///         [--checkpointing-only] [--matmul] [--threads N]
/// </summary>
internal static class TrainingBench
{
    // The reference configuration (docs/performance.md): a 4-layer, hidden-256 student and a 4-layer, hidden-512 teacher.
    internal static ModelConfig Student(int vocab) => new()
    {
        VocabSize = vocab, HiddenSize = 256, IntermediateSize = 688, NumHiddenLayers = 4, NumAttentionHeads = 8,
        NumKeyValueHeads = 4, MaxPositionEmbeddings = 256, TieWordEmbeddings = true, BosTokenId = 1, EosTokenId = 2,
    };

    internal static ModelConfig Teacher(int vocab) => Student(vocab) with { HiddenSize = 512, IntermediateSize = 1376, TieWordEmbeddings = false };

    public static Command Create()
    {
        var steps = With("--steps", 40, "Steps per measurement of the reference configuration (after 5 warm-up steps).");
        var repeats = With("--repeats", 3, "Repeats of the reference measurements (min and median are reported).");
        var batch = With("--batch", 16, "Batch size of the reference configuration.");
        var rank = With("--rank", 16, "LoRA rank of the reference configuration.");
        var skipVocab = With("--skip-vocab", false, "Skip the big-vocabulary loss case.");
        var vocabOnly = With("--vocab-only", false, "Run only the big-vocabulary loss case.");
        var skipCheckpointing = With("--skip-checkpointing", false, "Skip the activation-checkpointing case.");
        var checkpointingOnly = With("--checkpointing-only", false, "Run only the activation-checkpointing case.");
        var matmul = With("--matmul", false, "Only measure fp32 and bf16 matmul throughput on the shapes the benchmarks multiply.");
        var threads = Optional<int?>("--threads", "Torch threads (default: libtorch's choice).");
        var vocabSteps = With("--vocab-steps", 4, "Measured steps per big-vocabulary variant.");
        var chunks = With("--chunks", "4096,1024,256,64", "Loss chunk sizes (rows) of the big-vocabulary case.");
        var vocabPrecisions = With("--vocab-precisions", "float32,bfloat16", "Precisions of the big-vocabulary case.");
        var checkpointingSteps = With("--checkpointing-steps", 3, "Measured steps per activation-checkpointing variant.");
        var command = new Command("train",
            "Training throughput and MFU against the fp32 and bf16 matmul peaks measured in the same run, the per-step time split, the big-vocabulary chunked loss and activation checkpointing (about 15 minutes on 2 cores).")
        {
            steps, repeats, batch, rank, skipVocab, vocabOnly, skipCheckpointing, checkpointingOnly, matmul, threads, vocabSteps, chunks,
            vocabPrecisions, checkpointingSteps,
        }.WithExample("neo-bench train --steps 40 --repeats 3");
        command.SetWork((parse, console, _) =>
        {
            string flags = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags")) ?? "" : "";
            var bf16 = new[] { "avx512_bf16", "amx_bf16" }.Where(f => flags.Split(' ').Contains(f)).ToList();
            Console.WriteLine($"torch threads: {get_num_threads()}; CPU bf16 flags: {(bf16.Count > 0 ? string.Join(", ", bf16) : "none")}");
            if (parse.GetValue(threads) is int count) set_num_threads(count);
            if (parse.GetValue(matmul))
            {
                MatmulShapes();
                return ExitCodes.Success;
            }
            var vocabulary = new BigVocabularyBench.Settings(parse.GetValue(vocabSteps), parse.GetValue(chunks)!.Split(',').Select(int.Parse).ToList(),
                parse.GetValue(vocabPrecisions)!.Split(',').Select(p => Enum.Parse<ComputePrecision>(p, ignoreCase: true)).ToList());
            if (parse.GetValue(checkpointingOnly))
            {
                CheckpointingBench.Run(parse.GetValue(checkpointingSteps));
                return ExitCodes.Success;
            }
            if (!parse.GetValue(vocabOnly)) Reference(parse.GetValue(steps), parse.GetValue(repeats), parse.GetValue(batch), parse.GetValue(rank));
            if (!parse.GetValue(skipVocab)) BigVocabularyBench.Run(vocabulary);
            if (!parse.GetValue(vocabOnly) && !parse.GetValue(skipCheckpointing)) CheckpointingBench.Run(parse.GetValue(checkpointingSteps));
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Reference(int steps, int repeats, int batch, int rank)
    {
        Console.WriteLine($"reference configuration: steps per measurement {steps} (after 5 warm-up), repeats {repeats}, batch {batch}, LoRA rank {rank}");
        var tokenizer = EmbeddedTask.CreateTokenizer();
        int vocab = tokenizer.VocabularySize;
        string root = Path.Combine(Path.GetTempPath(), "neo-bench-" + Environment.ProcessId);
        try
        {
            using (var student = CausalLM.Create(Student(vocab), tokenizer, seed: 1)) student.SavePretrained(Path.Combine(root, "student"));
            using (var teacher = CausalLM.Create(Teacher(vocab), tokenizer, seed: 2)) teacher.SavePretrained(Path.Combine(root, "teacher"));
            var problems = ArithmeticWordProblems.Generate(batch * (steps + 5), seed: 1);
            double meanTokens = problems.Average(p => tokenizer.Encode(p.Prompt).Length + tokenizer.Encode(p.Solution, false).Length + 1);

            bool bf16 = Bf16Gate.Available;
            if (!bf16) Bf16Gate.TellSkipped();
            var peak32 = new List<double>();
            var peak16 = new List<double>();
            var kd32 = new List<RunMeasurement>();
            var kd16 = new List<RunMeasurement>();
            var full = new List<RunMeasurement>();
            for (int r = 0; r < repeats; r++)
            {
                peak32.Add(MatmulPeak.Gflops(ScalarType.Float32, 1024, 1024, 1024));
                if (bf16) peak16.Add(MatmulPeak.Gflops(ScalarType.BFloat16, 1024, 1024, 1024));
                kd32.Add(Distill(root, problems, steps, batch, rank, ComputePrecision.Float32));
                if (bf16) kd16.Add(Distill(root, problems, steps, batch, rank, ComputePrecision.BFloat16));
                full.Add(FullTraining(vocab, problems, steps, batch));
                Console.WriteLine($"repeat {r + 1}: matmul fp32 {peak32[^1]:F1}" + (bf16 ? $", bf16 {peak16[^1]:F1}" : "") + $" GFLOP/s; LoRA KD fp32 {kd32[^1].TokensPerSecond:F0}" +
                    (bf16 ? $", bf16 {kd16[^1].TokensPerSecond:F0}" : "") + $" tok/s; full fine-tune {full[^1].TokensPerSecond:F0} tok/s");
            }

            int length = (int)Math.Round(meanTokens) - 1;
            double kdFlops = FlopCounter.LoraDistillationPerToken(Student(vocab), Teacher(vocab), rank, length);
            double fullFlops = FlopCounter.FullTrainingPerToken(Student(vocab), length);
            double best32 = peak32.Max() * 1e9, best16 = bf16 ? peak16.Max() * 1e9 : double.NaN;
            Console.WriteLine();
            Console.WriteLine($"mean sequence length {length} tokens; matmul 1024^3 max: fp32 {peak32.Max():F1}" + (bf16 ? $", bf16 {peak16.Max():F1}" : "") + " GFLOP/s " +
                $"(repeats fp32 {string.Join(", ", peak32.Select(v => v.ToString("F1")))}" + (bf16 ? $"; bf16 {string.Join(", ", peak16.Select(v => v.ToString("F1")))}" : "") + ")");
            Console.WriteLine("| variant | model GFLOP/token | tokens/s (median) | tokens/s (max) | MFU vs same-precision peak (median) |");
            Console.WriteLine("|---|---|---|---|---|");
            Console.WriteLine($"| LoRA r={rank} KD fp32, teacher online | {kdFlops / 1e9:F4} | {Median(kd32):F0} | {kd32.Max(m => m.TokensPerSecond):F0} | {Median(kd32) * kdFlops / best32:P1} |");
            if (bf16) Console.WriteLine($"| LoRA r={rank} KD bf16, teacher online | {kdFlops / 1e9:F4} | {Median(kd16):F0} | {kd16.Max(m => m.TokensPerSecond):F0} | {Median(kd16) * kdFlops / best16:P1} |");
            Console.WriteLine($"| full fine-tune fp32, student only | {fullFlops / 1e9:F4} | {Median(full):F0} | {full.Max(m => m.TokensPerSecond):F0} | {Median(full) * fullFlops / best32:P1} |");
            if (bf16) Console.WriteLine($"bf16 / fp32 LoRA KD tokens/s (medians): {Median(kd16) / Median(kd32):F2}x");
            Console.WriteLine();
            Console.WriteLine("time split per step (last repeat):");
            Console.WriteLine(RunMeasurement.Header);
            Console.WriteLine(kd32[^1].Row("LoRA KD fp32"));
            if (bf16) Console.WriteLine(kd16[^1].Row("LoRA KD bf16"));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    // fp32 against bf16 on the shapes the benchmarks multiply: bf16 pays off on wide matrices, not on narrow ones.
    private static void MatmulShapes()
    {
        Console.WriteLine("| m × k × n | fp32 GFLOP/s | bf16 GFLOP/s | bf16 / fp32 |");
        Console.WriteLine("|---|---|---|---|");
        if (!Bf16Gate.Available) Bf16Gate.TellSkipped();
        foreach (var (m, k, n) in new[] { (1024, 1024, 1024), (2048, 2048, 2048), (1024, 2048, 5632), (1024, 2048, 32000), (1024, 256, 688),
            (1024, 512, 1376), (2048, 256, 8192), (256, 256, 128256), (2048, 5632, 2048) })
        {
            double a = MatmulPeak.Gflops(ScalarType.Float32, m, k, n);
            if (!Bf16Gate.Available)
            {
                Console.WriteLine($"| {m} × {k} × {n} | {a:F1} | skipped | - |");
                continue;
            }
            double b = MatmulPeak.Gflops(ScalarType.BFloat16, m, k, n);
            Console.WriteLine($"| {m} × {k} × {n} | {a:F1} | {b:F1} | {b / a:F2} |");
        }
    }

    private static RunMeasurement Distill(string root, List<WordProblem> problems, int steps, int batch, int rank, ComputePrecision precision)
    {
        var options = new NeoDistillOptions
        {
            Teacher = new TeacherModel(Path.Combine(root, "teacher")), StudentModelPath = Path.Combine(root, "student"),
            LoraRank = rank, LoraAlpha = 2 * rank, KdWeight = 0.5f, Temperature = 2, BatchSize = batch, MaxSteps = steps + 5,
            LearningRate = 1e-3f, Precision = precision,
        };
        return PhaseRecorder.Fit(options, problems.Select(PromptResponseRow.From), skip: 5);
    }

    private static RunMeasurement FullTraining(int vocab, List<WordProblem> problems, int steps, int batch)
    {
        var recorder = new PhaseRecorder(skip: 5);
        using var model = EmbeddedTraining.TrainFromScratch(Student(vocab), problems.Select(p => (p.Prompt, p.Solution)).ToList(), epochs: 1, batchSize: batch, learningRate: 1e-3,
            seed: 1, progress: recorder, maxSteps: steps + 5);
        return recorder.Measure();
    }

    private static double Median(List<RunMeasurement> values)
    {
        var sorted = values.Select(v => v.TokensPerSecond).OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
