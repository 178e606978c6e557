using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Modeling;

namespace Neo.Benchmarks;

/// <summary>
/// The loss at Llama 3's vocabulary: a tiny Llama 3-shaped pair (vocabulary 128,256, 2 layers, student hidden 256,
/// teacher hidden 512), batch 4 × 512 tokens, trained through NeoDistill with the loss in one chunk of all response rows
/// (unchunked) and in chunks of a few sizes, in float32 and bfloat16. For each it prints tokens/s, the per-step time
/// split and the peak memory a step adds above what the process held when the counted steps began (weights and
/// optimizer state): with bodies this small, that increment is the loss's own memory (logits, softmaxes, gradients).
///   neo-bench train --vocab-only [--vocab-steps 4] [--chunks 4096,1024,256,64] [--vocab-precisions float32,bfloat16]
/// </summary>
internal static class BigVocabularyBench
{
    private const int Vocabulary = 128_256, Batch = 4, Length = 512;

    private static ModelConfig Student => new()
    {
        VocabSize = Vocabulary, HiddenSize = 256, IntermediateSize = 688, NumHiddenLayers = 2, NumAttentionHeads = 8,
        NumKeyValueHeads = 4, MaxPositionEmbeddings = Length, TieWordEmbeddings = true, BosTokenId = 1, EosTokenId = 2,
        RopeTheta = 500_000,
    };

    private static ModelConfig Teacher => Student with { HiddenSize = 512, IntermediateSize = 1376, TieWordEmbeddings = false };

    /// <summary>What to run: counted steps per variant, the chunk sizes (rows) and the precisions.</summary>
    public sealed record Settings(int Steps, IReadOnlyList<int> Chunks, IReadOnlyList<ComputePrecision> Precisions);

    public static void Run(Settings settings)
    {
        var (steps, chunks, precisions) = (settings.Steps, settings.Chunks, Bf16Gate.Filter(settings.Precisions));
        Console.WriteLine();
        Console.WriteLine($"big vocabulary: {Vocabulary:N0} ids, batch {Batch} x {Length} tokens, {steps} counted steps after 1 warm-up; " +
            $"one float32 [1024, vocabulary] block of logits is {Vocabulary * 4.0 * 1024 / (1 << 30):F2} GiB");
        var tokenizer = EmbeddedTask.CreateTokenizer();
        string root = Path.Combine(Path.GetTempPath(), "neo-bench-vocab-" + Environment.ProcessId);
        try
        {
            using (var student = CausalLM.Create(Student, tokenizer, seed: 1)) student.SavePretrained(Path.Combine(root, "student"));
            using (var teacher = CausalLM.Create(Teacher, tokenizer, seed: 2)) teacher.SavePretrained(Path.Combine(root, "teacher"));
            var rows = Rows(Batch * (steps + 1));
            double peak32 = MatmulPeak.Gflops(TorchSharp.torch.ScalarType.Float32, 2048, 256, 8192);
            string peak16 = Bf16Gate.Available ? $"{MatmulPeak.Gflops(TorchSharp.torch.ScalarType.BFloat16, 2048, 256, 8192):F1}" : "skipped";
            Console.WriteLine($"head-shaped matmul 2048x256x8192: fp32 {peak32:F1}, bf16 {peak16} GFLOP/s");
            Console.WriteLine(RunMeasurement.Header);
            foreach (var precision in precisions)
            foreach (int chunk in chunks)
            {
                var measured = Distill(root, rows, steps, chunk, precision);
                Console.WriteLine(measured.Row($"{precision}, loss chunk {(chunk >= Batch * Length ? "all rows (unchunked)" : chunk + " rows")}"));
            }
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    // Word-problem text long enough that every example fills 512 tokens: a short prompt, a response of several solutions.
    internal static List<PromptResponseRow> Rows(int count)
    {
        var problems = ArithmeticWordProblems.Generate(count * 12, seed: 3);
        return Enumerable.Range(0, count).Select(i => new PromptResponseRow
        {
            Prompt = problems[i * 12].Prompt,
            Response = string.Join("\n", problems.Skip(i * 12).Take(12).Select(p => p.Solution)),
        }).ToList();
    }

    private static RunMeasurement Distill(string root, List<PromptResponseRow> rows, int steps, int chunk, ComputePrecision precision)
    {
        var options = new NeoDistillOptions
        {
            Teacher = new TeacherModel(Path.Combine(root, "teacher")), StudentModelPath = Path.Combine(root, "student"),
            LoraRank = 16, LoraAlpha = 32, KdWeight = 0.5f, Temperature = 2, BatchSize = Batch, MaxSteps = steps + 1,
            MaxSequenceLength = Length, LossChunkSize = chunk, Precision = precision, LearningRate = 1e-3f,
        };
        return PhaseRecorder.Fit(options, rows, skip: 1);
    }
}
