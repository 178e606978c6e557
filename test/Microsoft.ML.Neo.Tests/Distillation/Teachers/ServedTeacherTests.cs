using System.IO.Compression;
using System.Text;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Server;
using Microsoft.ML.Neo.Tests.MLNet;
using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers;

/// <summary>Distilling from a teacher served over real loopback HTTP (NeoServer, or a server that misbehaves on purpose).</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ServedTeacherTests
{
    private static Task<NeoServer> Serve(string teacherPath, int maxLogprobs = 20, string? apiKey = null) =>
        NeoServer.StartAsync(new NeoServerOptions { ModelPath = teacherPath, Port = 0, ModelId = "teacher", MaxLogprobs = maxLogprobs, ApiKey = apiKey });

    private static NeoDistillOptions ServedOptions(DistillFixture fixture, Uri server, string cache)
    {
        var options = fixture.Options();
        options.Teacher = new TeacherEndpoint { Url = server.ToString(), Model = "teacher", MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(10) };
        options.TeacherCacheDirectory = cache;
        options.TeacherScoreTopK = 20; // what servers allow by default (vLLM's --max-logprobs)
        return options;
    }

    private static List<Microsoft.ML.Neo.TrainingProgress> Fit(NeoDistillOptions options, int rows, MLContext? ml = null)
    {
        ml ??= new MLContext(seed: 1);
        var recorder = new ProgressRecorder();
        options.Progress = recorder;
        using var transformer = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(rows)));
        return recorder.Reports;
    }

    [TestMethod]
    [DataRow("llama")]
    [DataRow("gemma3_text")]
    [DataRow("phi3")]
    public async Task ServedKdLossEqualsTheLocalTeachersAtFullVocabulary(string family)
    {
        using var fixture = new DistillFixture(modelType: family);
        int vocab = TinyCheckpoints.TokenizerSize;
        var local = Fit(fixture.Options(), rows: 8);

        await using var server = await Serve(fixture.TeacherPath, maxLogprobs: vocab);
        var options = ServedOptions(fixture, server.BaseAddress, fixture.Sub("cache"));
        options.TeacherScoreTopK = vocab;
        options.TeacherCacheEncoding = TeacherCacheEncoding.Exact; // the served path itself must lose nothing
        var served = Fit(options, rows: 8);

        Assert.AreEqual(local.Count, served.Count);
        Console.WriteLine($"largest KD-term difference: {local.Zip(served, (l, s) => Math.Abs(l.Divergence - s.Divergence)).Max():E2}; " +
            $"CE: {local.Zip(served, (l, s) => Math.Abs(l.CrossEntropy - s.CrossEntropy)).Max():E2}; KD terms {string.Join(", ", local.Select(l => l.Divergence.ToString("F4")))}");
        for (int step = 0; step < local.Count; step++)
        {
            Assert.AreEqual(local[step].Divergence, served[step].Divergence, 1e-4, $"KD term of step {step + 1}");
            Assert.AreEqual(local[step].CrossEntropy, served[step].CrossEntropy, 1e-4, $"CE term of step {step + 1}");
        }
        Assert.AreEqual(8, server.Statistics.Completions, "one request per example");
    }

    [TestMethod]
    public async Task OnPolicyStepsAskTheServerToScoreTheStudentsSamplesAsTheLocalTeacherWould()
    {
        using var fixture = new DistillFixture();
        int vocab = TinyCheckpoints.TokenizerSize;
        NeoDistillOptions OnPolicy(NeoDistillOptions options)
        {
            options.OnPolicyFraction = 1;
            options.OnPolicyMaxNewTokens = 6;
            options.Divergence = Divergence.SkewedReverseKL;
            return options;
        }
        var local = Fit(OnPolicy(fixture.Options()), rows: 8);

        await using var server = await Serve(fixture.TeacherPath, maxLogprobs: vocab);
        var options = OnPolicy(ServedOptions(fixture, server.BaseAddress, fixture.Sub("cache")));
        options.TeacherScoreTopK = vocab;
        options.TeacherCacheEncoding = TeacherCacheEncoding.Exact; // the served path itself must lose nothing
        var served = Fit(options, rows: 8);

        Assert.AreEqual(2, served.Count);
        for (int step = 0; step < local.Count; step++)
        {
            Assert.AreEqual(local[step].Divergence, served[step].Divergence, 1e-4, $"KD term of step {step + 1}: the same samples, scored by the same teacher");
            Assert.AreEqual(served[step].Divergence, served[step].Loss, 1e-5, "on-policy steps train on the divergence alone");
        }
        Assert.AreEqual(8 + 8, server.Statistics.Completions, "8 references scored up front, then 2 steps × 4 samples during training");
    }

    [TestMethod]
    public async Task AServerKilledHalfwayFailsClearlyAndARerunAsksOnlyForWhatIsMissing()
    {
        using var fixture = new DistillFixture();
        const int rows = 24;
        var first = await Serve(fixture.TeacherPath);
        using var fitEnded = new CancellationTokenSource();
        var killer = Task.Run(async () =>
        {
            while (first.Statistics.Completions < 8 && !fitEnded.IsCancellationRequested) await Task.Delay(5);
            await first.StopAsync();
        });
        var options = ServedOptions(fixture, first.BaseAddress, fixture.Sub("cache"));
        ((TeacherEndpoint)options.Teacher!).MaxConcurrency = 2;
        Exception? failure = null;
        try
        {
            Fit(options, rows);
        }
        catch (Exception caught)
        {
            failure = caught;
        }
        fitEnded.Cancel();
        await killer;
        var e = failure as TeacherServerException ?? throw new AssertFailedException($"expected a TeacherServerException, got {failure}");
        long answered = first.Statistics.Completions;
        await first.DisposeAsync();
        StringAssert.Contains(e.Message, "cannot connect");
        StringAssert.Contains(e.Message, "run again with the same TeacherCacheDirectory");
        Assert.IsTrue(answered is >= 8 and < rows, $"{answered} answered before the stop");

        // The server may count an answer it never delivered (it was stopped mid-write), so what the client kept is
        // read from the cache: at most MaxConcurrency answers can be lost that way.
        int cached;
        using (var cache = new TeacherScoreCache(fixture.Sub("cache"))) cached = cache.Count;
        Assert.IsTrue(cached <= answered && cached >= answered - ((TeacherEndpoint)options.Teacher!).MaxConcurrency, $"{cached} cached of {answered} answered");

        // Back on another port: the cache is keyed by the model's name, so only the rest is asked for.
        await using var second = await Serve(fixture.TeacherPath);
        var rerun = ServedOptions(fixture, second.BaseAddress, fixture.Sub("cache"));
        Assert.AreEqual(6, Fit(rerun, rows).Count, "24 rows / batch 4");
        Assert.AreEqual(rows - cached, second.Statistics.Completions, "no request the cache kept was repeated");
    }

    [TestMethod]
    [DataRow(Misbehaviour.Status500, "failed on v1/completions 2 time(s); last: HTTP 500: CUDA out of memory")]
    [DataRow(Misbehaviour.MalformedBody, "is not JSON")]
    [DataRow(Misbehaviour.MissingPromptLogprobs, "no choices[0].prompt_logprobs")]
    [DataRow(Misbehaviour.WrongTokenCount, "NeoDistill sent")]
    [DataRow(Misbehaviour.CappedLogprobs, "--max-logprobs 64")]
    public async Task AMisbehavingServerGivesAClearError(Misbehaviour misbehaviour, string expected)
    {
        using var fixture = new DistillFixture();
        await using var server = await MisbehavingServer.StartAsync(misbehaviour, TokenizerFiles.TryLoad(fixture.StudentPath)!);
        var options = ServedOptions(fixture, server.Address, fixture.Sub("cache"));
        ((TeacherEndpoint)options.Teacher!).Model = "bad";
        options.TeacherScoreTopK = 64;
        var e = Assert.ThrowsExactly<TeacherServerException>(() => Fit(options, rows: 4));
        StringAssert.Contains(e.Message, expected);
        Assert.IsTrue(server.CompletionRequests > 0);
    }

    [TestMethod]
    public async Task ATokenizerThatDisagreesWithTheServersIsRefusedBeforeAnyScoring()
    {
        using var fixture = new DistillFixture();
        await using var server = await MisbehavingServer.StartAsync(Misbehaviour.TokenizerMismatch, TokenizerFiles.TryLoad(fixture.StudentPath)!);
        var options = ServedOptions(fixture, server.Address, fixture.Sub("cache"));
        ((TeacherEndpoint)options.Teacher!).Model = "bad";
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Fit(options, rows: 4));
        StringAssert.Contains(e.Message, "tokenizer disagrees");
        StringAssert.Contains(e.Message, "TeacherEndpoint.TokenizerPath");
        Assert.AreEqual(0, server.CompletionRequests);
    }

    [TestMethod]
    public async Task TheApiKeyIsSentButNeverWrittenAnywhere()
    {
        using var fixture = new DistillFixture();
        string variable = $"NEO_TEST_KEY_{Guid.NewGuid():N}";
        const string key = "sk-secret-4f1c9e";
        await using var server = await Serve(fixture.TeacherPath, apiKey: key);
        var options = ServedOptions(fixture, server.BaseAddress, fixture.Sub("cache"));
        try
        {
            Environment.SetEnvironmentVariable(variable, "sk-wrong-7d2b");
            ((TeacherEndpoint)options.Teacher!).ApiKeyEnvironmentVariable = variable;
            var refused = Assert.ThrowsExactly<TeacherServerException>(() => Fit(options, rows: 4));
            StringAssert.Contains(refused.Message, variable);
            Assert.IsFalse(refused.ToString().Contains("sk-wrong-7d2b"), "the key is not in the error");

            Environment.SetEnvironmentVariable(variable, key);
            var ml = new MLContext(seed: 1);
            var logged = new StringBuilder();
            ml.Log += (_, e) => { lock (logged) logged.AppendLine(e.Message); };
            using var transformer = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(TrainingRows.Make(4)));
            string zip = fixture.Sub("student.zip");
            ml.Model.Save(transformer, null, zip);

            Assert.IsFalse(logged.ToString().Contains(key), "not in the log");
            using var archive = ZipFile.OpenRead(zip);
            foreach (var entry in archive.Entries)
            {
                using var stream = entry.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                Assert.IsFalse(Encoding.UTF8.GetString(copy.ToArray()).Contains(key), $"not in the zip's {entry.FullName}");
            }
            foreach (var file in Directory.GetFiles(fixture.Sub("cache")))
                Assert.IsFalse(Encoding.UTF8.GetString(File.ReadAllBytes(file)).Contains(key), $"not in {file}");
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [TestMethod]
    public async Task SequenceKdTakesTheServersChatResponsesAndCachesThem()
    {
        using var fixture = new DistillFixture();
        await using var server = await Serve(fixture.TeacherPath);
        NeoDistillOptions SequenceOptions()
        {
            var options = ServedOptions(fixture, server.BaseAddress, fixture.Sub("cache"));
            options.Mode = DistillationMode.Sequence;
            options.KdWeight = 0;
            options.TeacherMaxNewTokens = 6;
            return options;
        }
        Fit(SequenceOptions(), rows: 4);
        Assert.AreEqual(4, server.Statistics.ChatCompletions);
        Assert.AreEqual(0, server.Statistics.Completions, "no logits asked for at KdWeight 0");
        Assert.AreEqual(4, File.ReadAllLines(Path.Combine(fixture.Sub("cache"), TeacherGenerationCache.FileName)).Length);

        Fit(SequenceOptions(), rows: 4);
        Assert.AreEqual(4, server.Statistics.ChatCompletions, "the rerun read every response from the cache");
    }

    [TestMethod]
    public void AChatClientTeacherWritesResponsesButCannotGiveLogits()
    {
        using var fixture = new DistillFixture();
        using var teacher = CausalLM.FromPretrained(fixture.TeacherPath);
        var options = fixture.Options();
        options.Teacher = new TeacherChatClient(teacher.AsIChatClient(modelId: "in-process-teacher"));
        options.TeacherCacheDirectory = fixture.Sub("cache");
        var e = Assert.ThrowsExactly<ArgumentException>(() => options.Validate());
        StringAssert.Contains(e.Message, "KdWeight = 0 with Mode = Sequence");

        options.KdWeight = 0;
        options.Mode = DistillationMode.Sequence;
        options.TeacherMaxNewTokens = 6;
        Assert.AreEqual(1, Fit(options, rows: 4).Count);
        Assert.AreEqual(4, File.ReadAllLines(Path.Combine(fixture.Sub("cache"), TeacherGenerationCache.FileName)).Length);
    }
}
