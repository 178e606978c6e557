using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Modeling.Quantization;
using Neo.Cli.Measurement;
using static Neo.Cli.Commands.CommonOptions;
using static TorchSharp.torch;

namespace Neo.Benchmarks;

/// <summary>
/// What a quantized frozen base saves and costs, against float32 and bf16 in the same run: a model of hidden 768 and 6
/// layers (MLP 2048, 4 KV heads, the embedded vocabulary), as a teacher (a no-grad forward over batch 4 × 256 tokens)
/// and as a LoRA student (r = 16, cross-entropy only, batch 4 × 256), with and without activation checkpointing.
///   neo-bench quantized [--repeats 5] [--steps 3]
/// Prints the projections' bytes, forward tokens/s, training tokens/s and the peak memory a training step adds.
/// </summary>
internal static class QuantizationBench
{
    private const int Batch = 4, Length = 256;

    public static Command Create()
    {
        var repeats = With("--repeats", 5, "Timed teacher forward passes per variant (after one warm-up).");
        var steps = With("--steps", 3, "Counted training steps per variant (after one warm-up step).");
        var command = new Command("quantized",
            "A quantized frozen base (Int8, NF4) against float32 and bf16 in the same run: weight bytes, teacher forward speed, training speed and step memory.")
        {
            repeats, steps,
        }.WithExample("neo-bench quantized --repeats 5 --steps 3");
        command.SetWork((parse, console, _) => Run(parse.GetValue(repeats), parse.GetValue(steps)));
        return command;
    }

    private static readonly (string Name, ComputePrecision Precision, WeightQuantization Quantization)[] Variants =
    {
        ("float32", ComputePrecision.Float32, WeightQuantization.None),
        ("bf16", ComputePrecision.BFloat16, WeightQuantization.None),
        ("Int8 (dequantized to bf16)", ComputePrecision.BFloat16, WeightQuantization.Int8),
        ("NF4 (dequantized to bf16)", ComputePrecision.BFloat16, WeightQuantization.NF4),
        ("Int8 (dequantized to float32)", ComputePrecision.Float32, WeightQuantization.Int8),
    };

    private static int Run(int repeats, int steps)
    {
        var tokenizer = EmbeddedTask.CreateTokenizer();
        var config = new ModelConfig
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = 768, IntermediateSize = 2048, NumHiddenLayers = 6,
            NumAttentionHeads = 12, NumKeyValueHeads = 4, MaxPositionEmbeddings = Length, TieWordEmbeddings = true, BosTokenId = 1, EosTokenId = 2,
        };
        string root = Path.Combine(Path.GetTempPath(), "neo-bench-quantized-" + Environment.ProcessId);
        try
        {
            using (var model = CausalLM.Create(config, tokenizer, seed: 1)) model.SavePretrained(root);
            Console.WriteLine($"quantized base: hidden 768, 6 layers, MLP 2048; teacher forward batch {Batch} x {Length} ({repeats} timed passes), " +
                $"LoRA r=16 training batch {Batch} x {Length} ({steps} counted steps), CE only, {Environment.ProcessorCount} cores");
            Console.WriteLine();
            Console.WriteLine("| variant | projection bytes | teacher forward tokens/s | vs float32 | vs bf16 |");
            Console.WriteLine("|---|---|---|---|---|");
            double? fp32 = null, bf16 = null;
            foreach (var (name, precision, quantization) in Variants)
            {
                var (bytes, speed) = Forward(root, precision, quantization, repeats);
                fp32 ??= speed;
                if (name == "bf16") bf16 = speed;
                Console.WriteLine($"| {name} | {bytes / 1048576.0:F1} MiB | {speed:F0} | {speed / fp32:F2}x | {(bf16 is double b ? $"{speed / b:F2}x" : "-")} |");
            }

            Console.WriteLine();
            Console.WriteLine(RunMeasurement.Header);
            var rows = BigVocabularyBench.Rows(Batch * (steps + 1));
            foreach (bool checkpointing in new[] { false, true })
            {
                foreach (var (name, precision, quantization) in Variants.Take(4))
                {
                    var options = new NeoDistillOptions
                    {
                        Teacher = new TeacherModel(root), StudentModelPath = root, KdWeight = 0, LoraRank = 16, LoraAlpha = 32, BatchSize = Batch,
                        MaxSteps = steps + 1, MaxSequenceLength = Length, Precision = precision, LearningRate = 1e-3f,
                        ActivationCheckpointing = checkpointing, BaseQuantization = quantization,
                    };
                    Console.WriteLine(PhaseRecorder.Fit(options, rows, skip: 1).Row($"{name}{(checkpointing ? ", checkpointed" : "")}"));
                }
            }
            return 0;
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    // The projections' bytes as held, and no-grad forward tokens per second over the timed passes.
    private static (long Bytes, double TokensPerSecond) Forward(string root, ComputePrecision precision, WeightQuantization quantization, int repeats)
    {
        using var model = CausalLM.FromPretrained(root, precision);
        WeightQuantizer.Apply(model.Model, quantization);
        long bytes = model.Model.Projections().Sum(p => p.Linear.WeightBytes);
        using var _ = no_grad();
        using var input = randint(3, model.Config.VocabSize, new long[] { Batch, Length }, dtype: ScalarType.Int64);
        using (var scope = NewDisposeScope()) model.Model.Forward(input);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++)
        {
            using var scope = NewDisposeScope();
            model.Model.Forward(input);
        }
        return (bytes, repeats * Batch * Length / clock.Elapsed.TotalSeconds);
    }
}
