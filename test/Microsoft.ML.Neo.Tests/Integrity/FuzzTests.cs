using System.Diagnostics;
using System.Text;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Tokenization;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Integrity;

/// <summary>
/// Mutates each reader's input thousands of times with a fixed seed (bit flips, special byte values, truncation,
/// insertion, overwritten runs) and requires every mutation to give either a result or one of the library's clear
/// exceptions: no crash, no hang, no NullReference / IndexOutOfRange / Overflow / OutOfMemory from a length field.
/// NEO_FUZZ_ITERATIONS scales the counts (the suite runs the defaults; docs/using-in-your-app.md gives a longer run).
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class FuzzTests
{
    private static readonly double Scale =
        double.TryParse(Environment.GetEnvironmentVariable("NEO_FUZZ_ITERATIONS"), out double n) && n > 0 ? n / 1000 : 1;

    private static int Iterations(int atDefault) => Math.Max(1, (int)(atDefault * Scale));

    public TestContext TestContext { get; set; } = null!;

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        switch (random.Next(5))
        {
            case 0: // flip a few bits
                for (int i = random.Next(1, 5); i > 0 && bytes.Count > 0; i--) bytes[random.Next(bytes.Count)] ^= (byte)(1 << random.Next(8));
                break;
            case 1: // values that make length fields huge, negative or zero
                byte[] special = { 0x00, 0xFF, 0x7F, 0x80, 0x01 };
                for (int i = random.Next(1, 4); i > 0 && bytes.Count > 0; i--) bytes[random.Next(bytes.Count)] = special[random.Next(special.Length)];
                break;
            case 2: // a copy cut short
                bytes = bytes.Take(random.Next(bytes.Count + 1)).ToList();
                break;
            case 3: // inserted garbage
                bytes.InsertRange(random.Next(bytes.Count + 1), Enumerable.Range(0, random.Next(1, 17)).Select(_ => (byte)random.Next(256)));
                break;
            default: // an overwritten run
                int start = random.Next(bytes.Count + 1), length = Math.Min(random.Next(1, 33), bytes.Count - start);
                for (int i = 0; i < length; i++) bytes[start + i] = (byte)random.Next(256);
                break;
        }
        return bytes.ToArray();
    }

    private static readonly Type[] Forbidden =
    {
        typeof(NullReferenceException), typeof(IndexOutOfRangeException), typeof(OverflowException), typeof(OutOfMemoryException),
        typeof(InsufficientExecutionStackException), typeof(AccessViolationException),
    };

    // A clear exception: the library's own (naming the file), or NotSupportedException for a valid file this library
    // cannot use; with no programming error anywhere in its chain.
    private static bool IsClear(Exception e)
    {
        if (e is not (UnreadableFileException or NotSupportedException)) return false;
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (Forbidden.Contains(inner.GetType())) return false;
        return true;
    }

    private void Fuzz(string reader, byte[] original, Action<byte[]> read, int iterations, int seed)
    {
        read(original); // the unmutated input reads
        var random = new Random(seed);
        int results = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            var mutated = Mutate(original, random);
            var each = Stopwatch.StartNew();
            try
            {
                read(mutated);
                results++;
            }
            catch (Exception e) when (IsClear(e))
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{reader}, mutation {i} (seed {seed}): {e.GetType().Name}: {e.Message}\n{e}");
            }
            Assert.IsTrue(each.Elapsed < TimeSpan.FromSeconds(20), $"{reader}, mutation {i}: took {each.Elapsed.TotalSeconds:F0} s");
        }
        TestContext.WriteLine($"fuzz {reader}: {iterations} mutations, {results} read, {refused} refused with a clear error ({clock.Elapsed.TotalSeconds:F1} s)");
        Console.WriteLine($"fuzz {reader}: {iterations} mutations, {results} read, {refused} refused with a clear error ({clock.Elapsed.TotalSeconds:F1} s)");
    }

    [TestMethod]
    [Timeout(600_000)]
    public void SafeTensorsFiles()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(hidden: 32, layers: 1), seed: 1);
        var original = File.ReadAllBytes(folder.Sub("model.safetensors"));
        Fuzz("safetensors", original, bytes =>
        {
            using var reader = new SafeTensorsReader(new MemoryStream(bytes, writable: false), "model.safetensors");
            foreach (var name in reader.Tensors.Keys) reader.Read(name).Dispose();
        }, Iterations(2000), seed: 1);
    }

    [TestMethod]
    [Timeout(600_000)]
    public void TokenizerFileReaders()
    {
        var sentencePiece = EmbeddedTask.CreateTokenizer().Files[Microsoft.ML.Neo.TokenizerFiles.SentencePieceFile];
        Fuzz("tokenizer.model", sentencePiece, bytes =>
        {
            var tokenizer = Microsoft.ML.Neo.TokenizerFiles.FromBytes(bytes, "tokenizer.model");
            tokenizer.Decode(tokenizer.Encode("Tom has 5 apples."));
        }, Iterations(1000), seed: 2);

        var (json, _) = TinyTokenizerFiles.ByteLevelJson(new[] { "a b", "ab c", "T o" }, new[] { "<|end|>" });
        Fuzz("tokenizer.json", Encoding.UTF8.GetBytes(json), bytes =>
        {
            var tokenizer = Microsoft.ML.Neo.TokenizerFiles.FromFiles(new Dictionary<string, byte[]> { ["tokenizer.json"] = bytes }, "test files");
            tokenizer.Decode(tokenizer.Encode("Tom has abc<|end|>"));
        }, Iterations(1000), seed: 3);

        var config = Encoding.UTF8.GetBytes("""{"bos_token": {"content": "<|end|>"}, "eos_token": "<|end|>", "add_bos_token": false, "chat_template": "{{ x }}"}""");
        Fuzz("tokenizer_config.json", config, bytes =>
        {
            var tokenizer = Microsoft.ML.Neo.TokenizerFiles.FromFiles(new Dictionary<string, byte[]>
            {
                ["tokenizer.json"] = Encoding.UTF8.GetBytes(json), ["tokenizer_config.json"] = bytes,
            }, "test files");
            Microsoft.ML.Neo.ChatPrompt.DetectFormat(tokenizer);
        }, Iterations(500), seed: 4);
    }

    [TestMethod]
    [Timeout(600_000)]
    public void ConfigAndGenerationConfig()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 1);
        var config = File.ReadAllBytes(folder.Sub("config.json"));
        Fuzz("config.json", config, bytes =>
        {
            File.WriteAllBytes(folder.Sub("config.json"), bytes);
            HuggingFaceCheckpoint.ReadConfig(folder.Path, out _);
        }, Iterations(1000), seed: 5);
        File.WriteAllBytes(folder.Sub("config.json"), config);

        var generation = Encoding.UTF8.GetBytes("""{"bos_token_id": 1, "eos_token_id": [2, 7], "pad_token_id": 0}""");
        Fuzz("generation_config.json", generation, bytes =>
        {
            File.WriteAllBytes(folder.Sub("generation_config.json"), bytes);
            GenerationConfig.TryLoad(folder.Path);
        }, Iterations(500), seed: 6);
    }

    [TestMethod]
    [Timeout(600_000)]
    public void TeacherCaches()
    {
        using var folder = new TempDirectory();
        string scoresDir = folder.Sub("scores"), generationsDir = folder.Sub("generations");
        var keys = new List<string>();
        using (var scores = new TeacherScoreCache(scoresDir))
        using (var generations = new TeacherGenerationCache(generationsDir))
        {
            for (int i = 0; i < 3; i++)
            {
                string key = TeacherScoreCache.Key("teacher", new[] { i, 2, 3 }, 1, 2);
                keys.Add(key);
                scores.Add(key, positions: 2, topK: 2, new[] { 1, 2, 3, 4 }, new[] { 0.5f, 0.25f, 1f, -1f });
                generations.Add(key, new[] { 5, 6, i });
            }
        }
        string scorePath = Path.Combine(scoresDir, TeacherScoreCache.FileName);
        var scoreBytes = File.ReadAllBytes(scorePath);
        Fuzz("teacher score cache", scoreBytes, bytes =>
        {
            File.WriteAllBytes(scorePath, bytes);
            using var cache = new TeacherScoreCache(scoresDir);
            foreach (var key in keys.Where(cache.Contains)) cache.Read(key);
        }, Iterations(1000), seed: 7);

        string generationPath = Path.Combine(generationsDir, TeacherGenerationCache.FileName);
        var generationBytes = File.ReadAllBytes(generationPath);
        Fuzz("teacher generation cache", generationBytes, bytes =>
        {
            File.WriteAllBytes(generationPath, bytes);
            using var cache = new TeacherGenerationCache(generationsDir);
            foreach (var key in keys) cache.TryGet(key, out _);
        }, Iterations(1000), seed: 8);
    }

    [TestMethod]
    [Timeout(600_000)]
    public void ModelZipEntries()
    {
        using var fixture = new Microsoft.ML.Neo.Tests.MLNet.DistillFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(4));
        string zip = fixture.Sub("student.zip");
        using (var model = ml.Transforms.NeoDistill(fixture.Options()).Fit(data)) ml.Model.Save(model, data.Schema, zip);
        var original = File.ReadAllBytes(zip);
        string[] entries = { "Student.safetensors", "Tokenizer.tokenizer.model" };
        var pick = new Random(10);
        // The library's payload inside a valid zip: each entry's bytes are mutated and the zip rebuilt around them (damage
        // to the zip container itself is ML.NET's and System.IO.Compression's to report).
        Fuzz("model zip entries", original, bytes =>
        {
            string mutatedZip = fixture.Sub("mutated.zip");
            File.WriteAllBytes(mutatedZip, original);
            bool changed = false;
            // The first call (the harness's check of the unmutated input) keeps the entry as it was.
            DamagedFileTests.ChangeEntry(mutatedZip, entries[pick.Next(entries.Length)], content =>
            {
                var after = ReferenceEquals(bytes, original) ? content : Mutate(content, new Random(bytes.Length ^ pick.Next()));
                changed = !after.AsSpan().SequenceEqual(content);
                return after;
            });
            var loaded = Microsoft.ML.Neo.MLNet.ModelZip.ModelZipLoader.Load(new MLContext().Model, mutatedZip);
            (loaded as IDisposable)?.Dispose();
            // The zip records each entry's SHA-256: a changed entry that loads is a failure, not a pass.
            if (changed) throw new AssertFailedException("a changed entry loaded without an error");
        }, Iterations(100), seed: 11);
    }

    [TestMethod]
    [Timeout(600_000)]
    public void TrainingCheckpoints()
    {
        using var folder = new TempDirectory();
        using var first = new TorchSharp.Modules.Parameter(randn(4, 3));
        using var second = new TorchSharp.Modules.Parameter(randn(5));
        var trainable = new List<(string, TorchSharp.Modules.Parameter)> { ("a", first), ("b", second) };
        using var optimizer = new AdamW(trainable, 1e-3, 0.01);
        first.grad = ones_like(first);
        second.grad = ones_like(second);
        optimizer.Step();
        string directory = folder.Sub("checkpoint");
        var checkpoint = new Microsoft.ML.Neo.Training.TrainingCheckpoint(directory, "run");
        checkpoint.Save(trainable, optimizer, step: 3, tokensSeen: 42);
        using var saved = first.detach().clone();

        var random = new Random(9);
        string[] files = { "trainable.safetensors", "optimizer.safetensors", "rng.bin", "trainer_state.json", "checksums.json" };
        foreach (var file in files)
        {
            string path = Path.Combine(directory, file);
            var original = File.ReadAllBytes(path);
            Fuzz($"checkpoint {file}", original, bytes =>
            {
                File.WriteAllBytes(path, bytes);
                var (step, tokens) = checkpoint.Restore(trainable, optimizer);
                // Only an unchanged file passes its checksum, so a restore that succeeds is the saved state.
                Assert.AreEqual((3, 42L), (step, tokens));
                Assert.IsTrue(TensorAssert.Identical(saved, first));
            }, Iterations(200), seed: random.Next());
            File.WriteAllBytes(path, original);
        }
    }
}
