using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Neo.Samples.Commands;

/// <summary>
/// Training throughput and model FLOP utilisation (MFU) for the reference configuration in docs/performance.md.
/// MFU = model FLOPs per second / fp32 matmul FLOPs per second, both measured in this run.
///   bench [--steps 40] [--repeats 3]
/// </summary>
internal static class BenchCommand
{
    // The reference configuration (docs/performance.md): a 4-layer, hidden-256 student and a 4-layer, hidden-512 teacher.
    private static LlamaConfig Student(int vocab) => new()
    {
        VocabSize = vocab, HiddenSize = 256, IntermediateSize = 688, NumHiddenLayers = 4, NumAttentionHeads = 8,
        NumKeyValueHeads = 4, MaxPositionEmbeddings = 256, TieWordEmbeddings = true, BosTokenId = 1, EosTokenId = 2,
    };

    private static LlamaConfig Teacher(int vocab) => Student(vocab) with { HiddenSize = 512, IntermediateSize = 1376, TieWordEmbeddings = false };

    public static int Run(CommandLine args)
    {
        int steps = args.Get("steps", 40), repeats = args.Get("repeats", 3), batch = args.Get("batch", 16), rank = args.Get("rank", 16);
        Console.WriteLine($"torch threads: {get_num_threads()}, steps per measurement: {steps}, repeats: {repeats}");
        var tokenizer = EmbeddedTask.CreateTokenizer();
        int vocab = tokenizer.VocabularySize;
        string root = Path.Combine(Path.GetTempPath(), "neo-bench-" + Environment.ProcessId);
        try
        {
            using (var student = CausalLM.Create(Student(vocab), tokenizer, seed: 1)) student.SavePretrained(Path.Combine(root, "student"));
            using (var teacher = CausalLM.Create(Teacher(vocab), tokenizer, seed: 2)) teacher.SavePretrained(Path.Combine(root, "teacher"));
            var problems = ArithmeticWordProblems.Generate(batch * (steps + 5), seed: 1);
            double meanTokens = problems.Average(p =>
                tokenizer.Encode(p.Prompt).Length + tokenizer.Encode(p.Solution, false).Length + 1);

            var matmul = new List<double>();
            var kd = new List<double>();
            var full = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                matmul.Add(MatmulGflops());
                kd.Add(DistillTokensPerSecond(root, problems, steps, batch, rank));
                full.Add(FullTrainingTokensPerSecond(vocab, problems, steps, batch));
                Console.WriteLine($"repeat {r + 1}: matmul {matmul[^1]:F1} GFLOP/s, LoRA KD {kd[^1]:F0} tok/s, full fine-tune {full[^1]:F0} tok/s");
            }

            double peak = matmul.Max() * 1e9;
            int length = (int)Math.Round(meanTokens) - 1;
            double kdFlops = FlopCounter.LoraDistillationPerToken(Student(vocab), Teacher(vocab), rank, length);
            double fullFlops = FlopCounter.FullTrainingPerToken(Student(vocab), length);
            Console.WriteLine();
            Console.WriteLine($"mean sequence length {length} tokens; fp32 matmul 1024^3: max {matmul.Max():F1}, median {Median(matmul):F1} GFLOP/s");
            Console.WriteLine("| variant | model GFLOP/token | tokens/s (median) | tokens/s (max) | MFU (median) |");
            Console.WriteLine("|---|---|---|---|---|");
            Console.WriteLine($"| LoRA r={rank} KD, teacher online | {kdFlops / 1e9:F4} | {Median(kd):F0} | {kd.Max():F0} | {Median(kd) * kdFlops / peak:P1} |");
            Console.WriteLine($"| full fine-tune, student only | {fullFlops / 1e9:F4} | {Median(full):F0} | {full.Max():F0} | {Median(full) * fullFlops / peak:P1} |");
            return 0;
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static double MatmulGflops()
    {
        using var scope = NewDisposeScope();
        var a = randn(1024, 1024);
        var b = randn(1024, 1024);
        for (int i = 0; i < 3; i++) matmul(a, b).Dispose();
        const int count = 20;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++) matmul(a, b).Dispose();
        return 2.0 * 1024 * 1024 * 1024 * count / clock.Elapsed.TotalSeconds / 1e9;
    }

    // Steady-state throughput: tokens and time between the 5th and the last step.
    private static double Steady(List<TrainingProgress> reports)
    {
        var first = reports[4];
        var last = reports[^1];
        return (last.TokensSeen - first.TokensSeen) / (last.Elapsed - first.Elapsed).TotalSeconds;
    }

    private static double DistillTokensPerSecond(string root, List<WordProblem> problems, int steps, int batch, int rank)
    {
        var ml = new MLContext(seed: 1);
        var reports = new List<TrainingProgress>();
        var options = new NeoDistillOptions
        {
            TeacherModelPath = Path.Combine(root, "teacher"), StudentModelPath = Path.Combine(root, "student"),
            LoraRank = rank, LoraAlpha = 2 * rank, KdWeight = 0.5f, Temperature = 2, BatchSize = batch, MaxSteps = steps + 5,
            LearningRate = 1e-3f, Progress = new ProgressCallback(reports.Add),
        };
        var data = ml.Data.LoadFromEnumerable(problems.Select(p => new PromptResponseRow { Prompt = p.Prompt, Response = p.Solution }));
        using var model = ml.Transforms.NeoDistill(options).Fit(data);
        return Steady(reports);
    }

    private static double FullTrainingTokensPerSecond(int vocab, List<WordProblem> problems, int steps, int batch)
    {
        var reports = new List<TrainingProgress>();
        using var model = EmbeddedTask.TrainFromScratch(Student(vocab), problems, epochs: 1, batchSize: batch, learningRate: 1e-3,
            seed: 1, progress: new ProgressCallback(reports.Add), maxSteps: steps + 5);
        return Steady(reports);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
