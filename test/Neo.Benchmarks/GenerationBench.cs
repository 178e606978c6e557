using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML.Neo.Data.Synthetic;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Benchmarks;

/// <summary>
/// Batched generation against one prompt at a time, on the same model in the same process: the embedded task's
/// held-out problems completed greedily (as neo evaluate does), timed both ways, and every completion compared.
///   neo-bench generate [--model embedded:styled-student] [--problems 200] [--batches 1,8,16,32] [--max-new-tokens 64]
/// </summary>
internal static class GenerationBench
{
    public static Command Create()
    {
        var model = With("--model", "embedded:styled-student", "A Hugging Face folder (embedded:NAME for an embedded model).");
        var problems = With("--problems", 200, "Held-out problems to complete.");
        var batches = With("--batches", "8,16,32", "Batch sizes to compare with one at a time.");
        var maxNewTokens = With("--max-new-tokens", 64, "Most tokens per completion.");
        var precision = Precision();
        var temperature = With("--temperature", 0f, "0: greedy; above 0, sampling with every row's seed as one-at-a-time calls use.");
        var command = new Command("generate",
            "Greedy completions one at a time against batched generation: time ratio and identical outputs, in one process.")
        {
            model, problems, batches, maxNewTokens, temperature, precision,
        }.WithExample("neo-bench generate --problems 200 --batches 8,16,32");
        command.SetWork((parse, console, _) => Run(ModelPath(parse.GetValue(model))!, parse.GetValue(problems),
            parse.GetValue(batches)!.Split(',').Select(int.Parse).ToList(), parse.GetValue(maxNewTokens), parse.GetValue(temperature), parse.GetValue(precision)));
        return command;
    }

    private static int Run(string path, int count, List<int> batchSizes, int maxNewTokens, float temperature, ComputePrecision precision)
    {
        using var model = CausalLM.FromPretrained(path, precision);
        var prompts = StyledWordProblems.Generate(count, EmbeddedRecipes.EvaluationSeed).Select(p => p.Prompt).ToList();
        var options = new GenerationOptions { MaxNewTokens = maxNewTokens, Temperature = temperature };
        model.Generate(prompts.Take(4).ToList(), options); // warm-up
        var clock = Stopwatch.StartNew();
        var alone = prompts.Select(p => model.Generate(p, options)).ToList();
        double aloneSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{path}: {count} problems, {(temperature == 0 ? "greedy" : $"sampled at T = {temperature}")}, at most {maxNewTokens} new tokens, {model.Model.WeightDtype} weights; torch threads {TorchSharp.torch.get_num_threads()}");
        Console.WriteLine("| batch | seconds | vs one at a time | completions identical |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| 1 (one at a time) | {aloneSeconds:F1} | 1.00x | {count}/{count} |");
        foreach (int batch in batchSizes)
        {
            clock.Restart();
            // As NeoDistillTransformer.Complete does: grouped by length, decoded batch by batch, put back in order.
            var tokenizer = model.TokenizerFiles!;
            var encoded = prompts.Select(p => (IReadOnlyList<int>)tokenizer.Encode(p)).ToList();
            var results = Microsoft.ML.Neo.Generation.BatchGenerator.GenerateGrouped(model.Model, encoded, batch, options, model.StopTokenIds, model.PadId)
                .Select(ids => tokenizer.Decode(ids)).ToArray();
            double seconds = clock.Elapsed.TotalSeconds;
            int same = results.Zip(alone).Count(p => p.First == p.Second);
            Console.WriteLine($"| {batch} | {seconds:F1} | {aloneSeconds / seconds:F2}x | {same}/{count} |");
        }
        return ExitCodes.Success;
    }
}
