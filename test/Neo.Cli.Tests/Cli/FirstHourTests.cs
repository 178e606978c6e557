using System.Text.Json;

namespace Microsoft.ML.Neo.Tests.Cli;

/// <summary>
/// What a new user meets in their first hour with the tool (issue 39): GSM8K files read as GSM8K, a folder to start
/// from, refusals in flag terms before anything is read or written, and commands that do what their help says.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class FirstHourTests
{
    private static string SampleData(string name) => Path.Combine(RepositoryPaths.Root(), "src", "Neo.Samples", "data", name);

    [TestMethod]
    public void EvaluateReadsAGsm8kFileAsTheModelsPrompts()
    {
        var (code, output, error) = NeoCliTests.Neo("evaluate", "--model", "embedded:styled-teacher", "--data", SampleData("test.jsonl"), "--limit", "16", "--json");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "is a GSM8K file (question, answer)");
        double accuracy = JsonDocument.Parse(output).RootElement.GetProperty("accuracy").GetDouble();
        Assert.IsTrue(accuracy >= 0.5, $"the styled teacher answers most held-out problems when they are asked as its prompts: {accuracy:P0}");
    }

    [TestMethod]
    public void InitWritesAFolderToStartFromAndRefusesToOverwrite()
    {
        using var folder = new TempDirectory();
        string start = folder.Sub("start");
        var (code, output, error) = NeoCliTests.Neo("init", "--out", start, "--json");
        Assert.AreEqual(0, code, error);
        var result = JsonDocument.Parse(output).RootElement;
        foreach (string model in new[] { "teacher", "student" })
        {
            Assert.IsTrue(File.Exists(Path.Combine(start, model, "config.json")), model);
            Assert.IsTrue(File.Exists(Path.Combine(start, model, "model.safetensors")), model);
        }
        Assert.AreEqual(16000, File.ReadLines(result.GetProperty("train").GetString()!).Count(), "enough for one epoch to move the student");
        using (var first = JsonDocument.Parse(File.ReadLines(Path.Combine(start, "train.jsonl")).First()))
            StringAssert.StartsWith(first.RootElement.GetProperty("prompt").GetString(), "Question: ");
        using (var first = JsonDocument.Parse(File.ReadLines(Path.Combine(start, "test.jsonl")).First()))
            StringAssert.Contains(first.RootElement.GetProperty("answer").GetString(), "####");
        StringAssert.Contains(error, $"neo distill --teacher {Path.Combine(start, "teacher")}");
        StringAssert.Contains(error, "--rank 64 --alpha 128 --lr 0.004 --temperature 1 --batch 16");

        (code, _, error) = NeoCliTests.Neo("init", "--out", start);
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "is not empty");
        (code, output, _) = NeoCliTests.Neo("help", "models");
        StringAssert.Contains(output, "neo init");
    }

    [TestMethod]
    public void RefusalsNameFlagsAndValuesNotDotNetTypes()
    {
        var (code, _, error) = NeoCliTests.Neo("distill", "--teacher", "t", "--student", "s", "--data", "d", "--divergence", "KL");
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "--divergence does not take 'KL'; give one of ForwardKL, ReverseKL, JensenShannon");
        Assert.IsFalse(error.Contains("Microsoft.ML.Neo", StringComparison.Ordinal) || error.Contains("Did you mean one of", StringComparison.Ordinal), error);
        (code, _, error) = NeoCliTests.Neo("distill", "--teacher", "t", "--student", "s", "--data", "d", "--quantize-base", "int4");
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "--quantize-base does not take 'int4'; give one of None, Int8, NF4");
        (code, _, error) = NeoCliTests.Neo("serve", "--model", "nope.zip");
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "--model 'nope.zip' does not exist");
        Assert.IsFalse(error.Contains("NeoServerOptions", StringComparison.Ordinal), error);
        (code, _, error) = NeoCliTests.Neo("capture-logits", "--teacher", "embedded:teacher", "--data", "d", "--top-k", "0");
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "--top-k must be between 1 and 65536");
        Assert.IsFalse(error.Contains("TeacherLogitCaptureOptions", StringComparison.Ordinal), error);
    }

    [TestMethod]
    public void MissingFilesAreRefusedBeforeTheDataIsRead()
    {
        string student = "embedded:styled-student", data = SampleData("train.jsonl");
        foreach (var teacher in new[] { new[] { "--teacher", "./teacherx" }, new[] { "--teacher-logits", "nope.parquet" } })
        {
            var (code, output, error) = NeoCliTests.Neo(["distill", .. teacher, "--student", student, "--data", data, "--out", "never.zip"]);
            Assert.AreEqual(2, code, error);
            StringAssert.Contains(error, $"{teacher[0]} '{teacher[1]}' does not exist");
            Assert.IsFalse(output.Contains("prompt/response pairs", StringComparison.Ordinal), "nothing is read before the files are checked: " + output);
        }
        var missingData = NeoCliTests.Neo("distill", "--teacher", "embedded:styled-teacher", "--student", student, "--data", "nope.jsonl");
        Assert.AreEqual(2, missingData.ExitCode);
        StringAssert.Contains(missingData.Stderr, "--data 'nope.jsonl' does not exist; give a JSON-lines file");
    }

    [TestMethod]
    public void AMistypedOptionWithAValueIsOneMistake()
    {
        var (code, _, error) = NeoCliTests.Neo("distill", "--teacher", "t", "--student", "s", "--data", "d", "--max-step", "4");
        Assert.AreEqual(2, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual("neo: '--max-step' is not known; did you mean '--max-steps'?", lines[0].TrimEnd());
        Assert.IsFalse(error.Contains("'4'", StringComparison.Ordinal) || error.Contains("Unrecognized", StringComparison.Ordinal), error);
    }

    [TestMethod]
    public void TokenizeReadsLineBreaksAsPredictDoesAndHelpSpeaksInSentences()
    {
        var (code, output, error) = NeoCliTests.Neo("tokenize", "--model", "embedded:styled-student", "--text", "Tom\\nAnswer:", "--json");
        Assert.AreEqual(0, code, error);
        var tokens = JsonDocument.Parse(output).RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()).ToList();
        CollectionAssert.Contains(tokens, "\n", string.Join(" | ", tokens));
        CollectionAssert.DoesNotContain(tokens, "\\");
        StringAssert.Contains(error, ", pad none");
        (code, _, error) = NeoCliTests.Neo("help", "foo");
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "No help topic 'foo'. The topics: data,");
    }

    [TestMethod]
    public void AttentionComparesATeacherWithItsSmallerStudent()
    {
        using var folder = new TempDirectory();
        var (code, _, error) = NeoCliTests.Neo("attention", "--models", "embedded:styled-teacher,embedded:styled-student", "--problems", "2", "--out", folder.Sub("out"));
        Assert.AreEqual(0, code, error);
        string table = File.ReadAllText(folder.Sub("out/attention.md"));
        StringAssert.Contains(table, "| statistic | layer | styled-teacher | styled-student |");
        StringAssert.Contains(table, "styled-student has 3 layers of 4 heads and styled-teacher 4 of 4");
        Assert.IsTrue(File.Exists(folder.Sub("out/comparison.png")));
    }

    [TestMethod]
    public void AQuantizedBaseSaysWhatItHeld()
    {
        using var folder = new TempDirectory();
        var (code, output, error) = NeoCliTests.Neo("distill", "--teacher", "embedded:styled-teacher", "--student", "embedded:styled-student", "--data", SampleData("train.jsonl"),
            "--quantize-base", "Int8", "--max-steps", "1", "--batch", "2", "--out", folder.Sub("q.zip"));
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "Quantized base (Int8): 21 projections quantized");
        StringAssert.Contains(output, "the base was held as Int8 codes while training");
    }

    [TestMethod]
    public async Task ServeSummarisesRequestsInsteadOfALineEach()
    {
        using var process = NeoCliTests.Start(null, ["serve", "--model", "embedded:styled-student", "--port", "0", "--summary-every", "1"]);
        var lines = new List<string>();
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line) lock (lines) lines.Add(line);
        });
        string Seen() { lock (lines) return string.Join("\n", lines); }
        async Task<string> WaitFor(string text)
        {
            for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(90); await Task.Delay(100))
            {
                lock (lines) if (lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } found) return found;
            }
            throw new AssertFailedException($"no '{text}' from neo serve within 90 s: {Seen()}");
        }
        try
        {
            string serving = await WaitFor("serving ");
            var url = new Uri(System.Text.RegularExpressions.Regex.Match(serving, @"at (http://\S+) ").Groups[1].Value);
            using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
            for (int i = 0; i < 3; i++)
            {
                using var answer = await http.PostAsync("v1/completions", new StringContent("{\"prompt\": \"Question: 2+3?\", \"max_tokens\": 2}", System.Text.Encoding.UTF8, "application/json"));
                Assert.IsTrue(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
            }
            StringAssert.Contains(await WaitFor("last 1 s: "), "completions");
            Assert.IsFalse(Seen().Contains("/v1/completions", StringComparison.Ordinal), "no line per request without --log-requests: " + Seen());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await reading.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
