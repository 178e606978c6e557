using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Modeling;

namespace Neo.Samples.Commands;

/// <summary>
/// Time and memory of distilling a TinyLlama-1.1B-shaped teacher into a smaller Llama student on this machine's CPU,
/// the numbers docs/using-your-own-models.md quotes:
///   bench-distill [--steps 6] [--batch 4] [--dir /tmp/neo-distill-1b] [--keep]
/// Writes random bf16 checkpoints of both shapes (with the embedded tokenizer, whose ids fit the 32000-entry
/// vocabulary) and word-problem data, then runs the <c>distill</c> sample on them in a child process, which reports
/// its load and training time and its peak memory.
/// </summary>
internal static class BenchDistillCommand
{
    // A smaller Llama-family student: hidden 1024, 8 layers, 16 heads (4 KV), MLP 2816, tied embeddings; 0.12 B parameters.
    private static readonly LlamaConfig Student = BenchLoadCommand.OneB with
    {
        HiddenSize = 1024, IntermediateSize = 2816, NumHiddenLayers = 8, NumAttentionHeads = 16, NumKeyValueHeads = 4, TieWordEmbeddings = true,
    };

    public static int Run(CommandLine args)
    {
        string root = args.Get("dir", Path.Combine(Path.GetTempPath(), "neo-distill-1b"));
        int steps = args.Get("steps", 6), batch = args.Get("batch", 4);
        var tokenizer = EmbeddedTask.CreateTokenizer();
        var clock = Stopwatch.StartNew();
        foreach (var (name, config, seed) in new[] { ("teacher", BenchLoadCommand.OneB, 1), ("student", Student, 2) })
        {
            using var model = CausalLM.Create(config, tokenizer, seed);
            model.SavePretrained(Path.Combine(root, name), SafeTensorsDtype.BFloat16);
            Console.WriteLine($"{name}: {model.ParameterCount / 1e9:F2} B parameters written as bf16 ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        string data = Path.Combine(root, "train.jsonl");
        File.WriteAllLines(data, ArithmeticWordProblems.Generate(steps * batch, seed: 1)
            .Select(p => JsonSerializer.Serialize(new { prompt = p.Prompt, response = p.Solution })));
        GC.Collect();

        var start = new ProcessStartInfo("dotnet");
        foreach (var arg in new[]
        {
            typeof(BenchDistillCommand).Assembly.Location, "distill", "--teacher", Path.Combine(root, "teacher"),
            "--student", Path.Combine(root, "student"), "--data", data, "--batch", batch.ToString(), "--max-steps", steps.ToString(),
            "--rank", "8", "--max-new-tokens", "16", "--out", Path.Combine(root, "student.zip"),
        }) start.ArgumentList.Add(arg);
        Console.WriteLine($"running: dotnet {string.Join(' ', start.ArgumentList.Skip(1))}");
        using var child = Process.Start(start)!;
        child.WaitForExit();
        if (!args.Has("keep")) Directory.Delete(root, recursive: true);
        return child.ExitCode;
    }
}
