using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Distillation.Teachers.Served;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Server;
using static Neo.Cli.Commands.CommonOptions;
using static TorchSharp.torch;

namespace Neo.Benchmarks;

/// <summary>
/// Scoring throughput of a teacher served by NeoServer on loopback against the same teacher in this process, and the
/// size of the top-K score cache per response token.
///   neo-bench served [--examples 64] [--concurrency 4] [--repeats 3]
/// Both sides fill a score cache through the teacher seam (ITeacher.ScoreTopK): locally in padded batches of 16, served
/// as one request per example with N in flight. The ratio is measured within one run, repeated; min and median are
/// reported.
/// </summary>
internal static class ServedBench
{
    // A teacher big enough that a forward pass outweighs the HTTP and JSON work (about 25 M parameters).
    private static ModelConfig Teacher(int vocabulary) => new()
    {
        VocabSize = vocabulary, HiddenSize = 512, IntermediateSize = 1376, NumHiddenLayers = 6, NumAttentionHeads = 8,
        NumKeyValueHeads = 4, MaxPositionEmbeddings = 512, TieWordEmbeddings = false, BosTokenId = 1, EosTokenId = 2,
    };

    public static Command Create()
    {
        var examples = With("--examples", 64, "Examples scored per measurement.");
        var concurrency = With("--concurrency", 4, "Requests in flight to the server.");
        var repeats = With("--repeats", 3, "Measurements of each side.");
        var command = new Command("served",
            "Scoring throughput through NeoServer on loopback vs the same teacher in process, and score-cache bytes per token at K = 20 and 64.")
        {
            examples, concurrency, repeats,
        }.WithExample("neo-bench served --examples 64 --concurrency 4");
        command.SetWork((parse, console, _) => Run(console, parse.GetValue(examples), parse.GetValue(concurrency), parse.GetValue(repeats)));
        return command;
    }

    private static int Run(CliConsole console, int count, int concurrency, int repeats)
    {
        string root = Path.Combine(Path.GetTempPath(), "neo-bench-served", Guid.NewGuid().ToString("N"));
        try
        {
            var tokenizer = EmbeddedTask.CreateTokenizer();
            string teacherPath = Path.Combine(root, "teacher");
            using (var teacher = CausalLM.Create(Teacher(tokenizer.VocabularySize), tokenizer, seed: 3)) teacher.SavePretrained(teacherPath);
            var encoder = new PromptResponseEncoder(tokenizer, 512);
            var rows = ArithmeticWordProblems.Generate(count, seed: 11).Select(p => encoder.Encode(p.Prompt, p.Solution)!).ToList();
            long sequenceTokens = rows.Sum(r => r.TokenIds.Length), responseTokens = rows.Sum(r => r.ResponseTokenCount);
            int vocabulary = tokenizer.VocabularySize, padId = tokenizer.EndOfSequenceId!.Value;
            console.WriteLine($"teacher: {Teacher(vocabulary).HiddenSize} hidden, {Teacher(vocabulary).NumHiddenLayers} layers; {count} examples, " +
                $"{sequenceTokens} tokens ({responseTokens} response tokens); K = 20, concurrency {concurrency}");

            var server = NeoServer.StartAsync(new NeoServerOptions { ModelPath = teacherPath, Port = 0, ModelId = "teacher", MaxLogprobs = 64 }).GetAwaiter().GetResult();
            var local = new List<double>();
            var served = new List<double>();
            var smallBatches = new List<double>();
            try
            {
                var endpoint = new TeacherEndpoint { Url = server.BaseAddress.ToString(), MaxConcurrency = concurrency };
                using var localTeacher = LocalTeacher.Load(teacherPath, CPU);
                using var servedTeacher = ServedTeacher.Open(endpoint, null, tokenizer, 512, 20, console.WriteWarning);
                using var bare = CausalLM.FromPretrained(teacherPath);
                // What the server's model work alone costs: the same scoring in process, in batches as small as the
                // server's (at most one request per connection in flight), without HTTP or JSON.
                double SmallBatchSeconds()
                {
                    var clock = Stopwatch.StartNew();
                    foreach (var chunk in rows.Chunk(concurrency))
                        Microsoft.ML.Neo.Generation.TokenLogprobs.ScoreBatch(bare.Model, chunk.Select(r => (IReadOnlyList<int>)r.TokenIds).ToList(), 20);
                    return clock.Elapsed.TotalSeconds;
                }
                double Seconds(ITeacher teacher)
                {
                    var clock = Stopwatch.StartNew();
                    teacher.ScoreTopK(rows, vocabulary, 20, padId, (_, _, _) => { });
                    return clock.Elapsed.TotalSeconds;
                }
                Seconds(localTeacher);   // warm-up: first-call costs of libtorch and of the server
                Seconds(servedTeacher);
                SmallBatchSeconds();
                for (int r = 0; r < repeats; r++)
                {
                    local.Add(sequenceTokens / Seconds(localTeacher));
                    served.Add(sequenceTokens / Seconds(servedTeacher));
                    smallBatches.Add(sequenceTokens / SmallBatchSeconds());
                    console.WriteLine($"run {r + 1}: local {local[^1]:F0} tokens/s, served {served[^1]:F0} tokens/s, ratio {served[^1] / local[^1]:P0}; " +
                        $"in process at batch {concurrency}, all positions scored: {smallBatches[^1]:F0} tokens/s");
                }
            }
            finally
            {
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            var ratios = local.Zip(served, (l, s) => s / l).Order().ToList();
            console.WriteLine($"served / local scoring throughput: min {ratios[0]:P0}, median {ratios[ratios.Count / 2]:P0} (target >= 70 %)");

            var sizes = new Dictionary<int, double>();
            foreach (int k in new[] { 20, 64 })
            {
                string cacheDirectory = Path.Combine(root, $"cache-{k}");
                using (var teacher = LocalTeacher.Load(teacherPath, CPU))
                using (var cache = new TeacherScoreCache(cacheDirectory))
                    teacher.ScoreTopK(rows, vocabulary, k, padId, (e, ids, logits) => cache.Add(TeacherScoreCache.Key("bench", e.TokenIds, e.ResponseStart, k), e.ResponseTokenCount, k, ids, logits));
                sizes[k] = new FileInfo(Path.Combine(cacheDirectory, TeacherScoreCache.FileName)).Length / (double)responseTokens;
                console.WriteLine($"score cache at K = {k}: {sizes[k]:F0} bytes per response token (DistillKit publishes about 300)");
            }
            console.WriteResult(new
            {
                examples = count, concurrency, localTokensPerSecond = local, servedTokensPerSecond = served, inProcessSmallBatchTokensPerSecond = smallBatches,
                ratioMin = ratios[0], ratioMedian = ratios[ratios.Count / 2], cacheBytesPerTokenK20 = sizes[20], cacheBytesPerTokenK64 = sizes[64],
            });
            return ExitCodes.Success;
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
