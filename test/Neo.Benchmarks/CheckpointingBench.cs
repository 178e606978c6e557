using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Modeling;

namespace Neo.Benchmarks;

/// <summary>
/// What activation checkpointing costs and saves on long sequences: a student with a wide, 8-layer body (hidden 1024,
/// MLP 2816, the embedded vocabulary), LoRA on every projection, cross-entropy only (so only the student's body is
/// measured), batch 4 × 512 tokens, float32, with and without checkpointing. Prints tokens/s, the time split and the
/// peak memory a step adds above what the process held when the counted steps began.
///   neo-bench train --checkpointing-only [--checkpointing-steps 3]
/// </summary>
internal static class CheckpointingBench
{
    private const int Batch = 4, Length = 512;

    public static void Run(int steps)
    {
        var tokenizer = EmbeddedTask.CreateTokenizer();
        var config = new ModelConfig
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = 1024, IntermediateSize = 2816, NumHiddenLayers = 8,
            NumAttentionHeads = 16, NumKeyValueHeads = 4, MaxPositionEmbeddings = Length, TieWordEmbeddings = true, BosTokenId = 1, EosTokenId = 2,
        };
        Console.WriteLine();
        Console.WriteLine($"activation checkpointing: student hidden 1024, 8 layers, batch {Batch} x {Length} tokens, LoRA r=16, CE only, float32, {steps} counted steps after 1 warm-up");
        string root = Path.Combine(Path.GetTempPath(), "neo-bench-ckpt-" + Environment.ProcessId);
        try
        {
            using (var student = CausalLM.Create(config, tokenizer, seed: 1)) student.SavePretrained(root);
            var rows = BigVocabularyBench.Rows(Batch * (steps + 1));
            Console.WriteLine(RunMeasurement.Header);
            foreach (bool checkpointing in new[] { false, true })
            {
                var options = new NeoDistillOptions
                {
                    Teacher = new TeacherModel(root), StudentModelPath = root, KdWeight = 0, LoraRank = 16, LoraAlpha = 32, BatchSize = Batch,
                    MaxSteps = steps + 1, MaxSequenceLength = Length, Precision = ComputePrecision.Float32, LearningRate = 1e-3f,
                    ActivationCheckpointing = checkpointing,
                };
                Console.WriteLine(PhaseRecorder.Fit(options, rows, skip: 1).Row(checkpointing ? "checkpointed layers" : "all activations kept"));
            }
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
