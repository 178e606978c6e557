using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Server;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Benchmarks;

/// <summary>
/// NeoServer's completion throughput with concurrent requests (batched by its generation queue) against the same
/// requests one after another, over loopback, in one run; every answer compared.
///   neo-bench serve-generate [--model embedded:styled-teacher] [--requests 32] [--max-tokens 48] [--repeats 3]
/// </summary>
internal static class ServerGenerationBench
{
    public static Command Create()
    {
        var model = With("--model", "embedded:styled-teacher", "A Hugging Face folder (embedded:NAME for an embedded model).");
        var requests = With("--requests", 32, "Completion requests per measurement.");
        var maxTokens = With("--max-tokens", 48, "max_tokens of each request (greedy; stop ids still end a completion early).");
        var repeats = With("--repeats", 3, "Measurements of each side.");
        var precision = Precision();
        var command = new Command("serve-generate",
            "Completion throughput of NeoServer: concurrent requests (batched) against the same requests in sequence, answers compared.")
        {
            model, requests, maxTokens, repeats, precision,
        }.WithExample("neo-bench serve-generate --requests 32 --max-tokens 48");
        command.SetWork((parse, console, _) => Run(ModelPath(parse.GetValue(model))!, parse.GetValue(requests), parse.GetValue(maxTokens),
            parse.GetValue(repeats), parse.GetValue(precision)).GetAwaiter().GetResult());
        return command;
    }

    private static async Task<int> Run(string path, int count, int maxTokens, int repeats, ComputePrecision precision)
    {
        await using var server = await NeoServer.StartAsync(new NeoServerOptions { ModelPath = path, Port = 0, ModelId = "bench", Precision = precision });
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        var prompts = StyledWordProblems.Generate(count, EmbeddedRecipes.EvaluationSeed).Select(p => p.Prompt).ToList();
        async Task<string> Complete(string prompt)
        {
            using var response = await http.PostAsJsonAsync("v1/completions", new { prompt, max_tokens = maxTokens, temperature = 0 });
            response.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return json.RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!;
        }
        await Complete(prompts[0]); // warm-up
        Console.WriteLine($"{path}: {count} requests of at most {maxTokens} tokens, greedy, {precision} weights; torch threads {TorchSharp.torch.get_num_threads()}");
        Console.WriteLine("| repeat | in sequence (s) | concurrent (s) | throughput ratio | mean batch | answers identical |");
        Console.WriteLine("|---|---|---|---|---|---|");
        var ratios = new List<double>();
        for (int r = 1; r <= repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            var sequential = new List<string>();
            foreach (var prompt in prompts) sequential.Add(await Complete(prompt));
            double sequentialSeconds = clock.Elapsed.TotalSeconds;
            long passes = server.Statistics.DecodingPasses, sequences = server.Statistics.DecodedSequences;
            clock.Restart();
            var concurrent = await Task.WhenAll(prompts.Select(Complete));
            double concurrentSeconds = clock.Elapsed.TotalSeconds;
            double meanBatch = (double)(server.Statistics.DecodedSequences - sequences) / (server.Statistics.DecodingPasses - passes);
            ratios.Add(sequentialSeconds / concurrentSeconds);
            Console.WriteLine($"| {r} | {sequentialSeconds:F2} | {concurrentSeconds:F2} | {ratios[^1]:F2}x | {meanBatch:F1} | {sequential.Zip(concurrent).Count(p => p.First == p.Second)}/{count} |");
        }
        ratios.Sort();
        Console.WriteLine($"concurrent / sequential throughput: min {ratios[0]:F2}x, median {ratios[ratios.Count / 2]:F2}x (target >= 4x)");
        return ExitCodes.Success;
    }
}
