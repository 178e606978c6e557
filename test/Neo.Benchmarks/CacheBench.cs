using System.CommandLine;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.Teachers;
using static Neo.Cli.Commands.CommonOptions;
using static TorchSharp.torch;

namespace Neo.Benchmarks;

/// <summary>
/// The teacher score cache's size and fidelity: the embedded teacher scores the embedded task's problems at K = 64,
/// and the same scores are written in each encoding. Reported: bytes per response token of the format-1 layout (8
/// bytes an entry), the exact and the compact encodings, and of the compact one with the ids spread over a large
/// vocabulary (each of the 512 ids mapped to a random distinct id below --large-vocabulary, as a stand-in for a real
/// 150k tokenizer's ids); and the KD loss of the embedded student against the compact cache relative to the exact
/// one, for every divergence and two temperatures, per batch of 8 (worst batch) and over all batches.
///   neo-bench cache [--problems 200] [--top-k 64] [--large-vocabulary 151936]
/// </summary>
internal static class CacheBench
{
    public static Command Create()
    {
        var teacher = With("--teacher", "embedded:styled-teacher", "The teacher (a Hugging Face folder, or embedded:NAME).");
        var student = With("--student", "embedded:styled-student", "The student whose KD loss is compared.");
        var problems = With("--problems", 200, "Problems scored.");
        var topK = With("--top-k", 64, "Teacher logits kept per position.");
        var largeVocabulary = With("--large-vocabulary", 151_936, "Vocabulary the ids are spread over for the large-vocabulary size (Qwen3's is 151,936).");
        var command = new Command("cache", "Bytes per token of each teacher-cache encoding, and the KD loss from the compact cache against the exact one.")
        {
            teacher, student, problems, topK, largeVocabulary,
        }.WithExample("neo-bench cache --problems 200 --top-k 64");
        command.SetWork((parse, console, _) => Run(ModelPath(parse.GetValue(teacher))!, ModelPath(parse.GetValue(student))!, parse.GetValue(problems),
            parse.GetValue(topK), parse.GetValue(largeVocabulary)));
        return command;
    }

    private static int Run(string teacherPath, string studentPath, int count, int k, int largeVocabulary)
    {
        string root = Path.Combine(Path.GetTempPath(), "neo-bench-cache-" + Environment.ProcessId);
        try
        {
            var tokenizer = EmbeddedTask.CreateTokenizer();
            int vocabulary = tokenizer.VocabularySize, padId = 2;
            var encoder = new PromptResponseEncoder(tokenizer, 512);
            var examples = StyledWordProblems.Generate(count, seed: 5).Select(p => encoder.Encode(p.Prompt, p.Solution)!).ToList();
            int responseTokens = TokenBatch.CountResponseTokens(examples);

            // The teacher's exact top K per example, as the cache receives them.
            var exact = new Dictionary<EncodedExample, (int[] Ids, float[] Logits)>(ReferenceEqualityComparer.Instance);
            using (var local = LocalTeacher.Load(teacherPath, CPU))
                local.ScoreTopK(examples, vocabulary, k, padId, (e, ids, logits) => exact[e] = (ids, logits));

            // Ids spread over a large vocabulary: each small id to a distinct random large one.
            var random = new Random(7);
            var spread = Enumerable.Range(0, largeVocabulary).OrderBy(_ => random.Next()).Take(vocabulary).ToArray();

            double Size(string name, int valueBits, Func<int, int> mapId)
            {
                string directory = Path.Combine(root, name);
                using (var cache = new TeacherScoreCache(directory, valueBits))
                    foreach (var e in examples)
                        cache.Add(TeacherScoreCache.Key("bench", e.TokenIds, e.ResponseStart, k), e.ResponseTokenCount, k, exact[e].Ids.Select(mapId).ToArray(), exact[e].Logits);
                return new FileInfo(Path.Combine(directory, TeacherScoreCache.FileName)).Length / (double)responseTokens;
            }
            double legacy = examples.Sum(e => 40.0 + 8.0 * e.ResponseTokenCount * k) / responseTokens; // format 1: key, two int32, 8 bytes an entry
            double exactSize = Size("exact", TopKCodec.ExactBits, id => id), compact = Size("compact", TopKCodec.CompactBits, id => id);
            double compactLarge = Size("compact-large", TopKCodec.CompactBits, id => spread[id]);
            Console.WriteLine($"{count} problems, {responseTokens} response tokens, K = {k}, vocabulary {vocabulary}");
            Console.WriteLine("| encoding | bytes per response token | vs format 1 |");
            Console.WriteLine("|---|---|---|");
            Console.WriteLine($"| format 1 (int32 id + float32 logit) | {legacy:F0} | 1.00x |");
            Console.WriteLine($"| exact (packed ids, float32 logits) | {exactSize:F0} | {legacy / exactSize:F2}x smaller |");
            Console.WriteLine($"| compact (packed ids, {TopKCodec.CompactBits}-bit logits) | {compact:F0} | {legacy / compact:F2}x smaller |");
            Console.WriteLine($"| compact, ids spread over {largeVocabulary:N0} | {compactLarge:F0} | {legacy / compactLarge:F2}x smaller |");

            // The KD loss from the compact cache against the exact scores, batch by batch.
            var compactScores = new Dictionary<EncodedExample, (int[] Ids, float[] Logits)>(ReferenceEqualityComparer.Instance);
            using (var cache = new TeacherScoreCache(Path.Combine(root, "compact")))
                foreach (var e in examples)
                {
                    var record = cache.Read(TeacherScoreCache.Key("bench", e.TokenIds, e.ResponseStart, k));
                    compactScores[e] = (record.Ids, record.Logits);
                }
            Console.WriteLine();
            Console.WriteLine("| divergence | temperature | KD term, all batches: relative error | worst batch of 8 | total loss, worst batch |");
            Console.WriteLine("|---|---|---|---|---|");
            using var studentModel = LocalTeacher.Load(studentPath, CPU); // its dense logits at the response rows
            var batches = examples.Chunk(8).ToList();
            foreach (var divergence in Enum.GetValues<Divergence>())
                foreach (float temperature in new[] { 1f, 2f })
                {
                    double exactSum = 0, compactSum = 0, worstKd = 0, worstTotal = 0;
                    var settings = new LossSettings(0.5f, temperature, divergence);
                    foreach (var chunk in batches)
                    {
                        using var scope = NewDisposeScope();
                        var batch = TokenBatch.Create(chunk, padId);
                        var studentRows = studentModel.Score(batch, vocabulary).All().Logits; // [M, V]
                        TeacherTargets Targets(Dictionary<EncodedExample, (int[] Ids, float[] Logits)> scores) => new(
                            tensor(chunk.SelectMany(e => scores[e].Logits).ToArray(), new long[] { batch.ResponseTokenCount, k }), // [M, K]
                            tensor(chunk.SelectMany(e => scores[e].Ids.Select(i => (long)i)).ToArray(), new long[] { batch.ResponseTokenCount, k })); // [M, K]
                        var reference = DistillationLoss.Compute(studentRows, batch.Targets, Targets(exact), settings);
                        var packed = DistillationLoss.Compute(studentRows, batch.Targets, Targets(compactScores), settings);
                        double a = reference.Divergence.item<float>(), b = packed.Divergence.item<float>();
                        exactSum += a;
                        compactSum += b;
                        worstKd = Math.Max(worstKd, Math.Abs(b - a) / Math.Abs(a));
                        double ta = reference.Total.item<float>(), tb = packed.Total.item<float>();
                        worstTotal = Math.Max(worstTotal, Math.Abs(tb - ta) / Math.Abs(ta));
                    }
                    Console.WriteLine($"| {divergence} | {temperature} | {Math.Abs(compactSum - exactSum) / exactSum:E1} | {worstKd:E1} | {worstTotal:E1} |");
                }
            return ExitCodes.Success;
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
