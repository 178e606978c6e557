using System.Diagnostics;
using System.Text.Json;

namespace Microsoft.ML.Neo.Tests.Cli;

/// <summary>
/// The neo tool as a user meets it, run as a process: bad input exits 2 with one line in the command line's terms
/// (flags, not option properties; words, not .NET type names), mistyped names get a suggestion, --json gets a labelled
/// error, and data and model files that are not what they should be are named with the fix.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class NeoCliTests
{
    // The tool and programs as processes (Shared/ToolProcesses.cs), by the names these tests call them.
    internal static Process Start(IReadOnlyDictionary<string, string>? environment, string[] args) => ToolProcesses.Start(environment, args);

    internal static (int ExitCode, string Stdout, string Stderr) Neo(params string[] args) => ToolProcesses.Neo(args);

    internal static (int ExitCode, string Stdout, string Stderr) Neo(IReadOnlyDictionary<string, string>? environment, string[] args) =>
        ToolProcesses.Neo(environment, args);

    internal static (int ExitCode, string Stdout, string Stderr) RunProgram(string program, params string[] args) => ToolProcesses.RunProgram(program, args);

    [TestMethod]
    public void MistypedCommandsAndOptionsExit2WithASuggestion()
    {
        var (code, _, error) = Neo("distil");
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "did you mean 'distill'?");
        (code, _, error) = Neo("distill", "--rnak", "3", "--teacher", "t", "--student", "s", "--data", "d");
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "did you mean '--rank'?");
        (code, _, error) = Neo("bogus", "--help");
        Assert.AreEqual(2, code, "an unknown command is an error, --help or not");
        StringAssert.Contains(error, "'bogus'");
        Assert.AreEqual(0, Neo("distill", "--help").ExitCode);
    }

    [TestMethod]
    public void ParseErrorsUnderJsonAreALabelledDocument()
    {
        var (code, output, _) = Neo("distill", "--json", "--lr", "abc", "--teacher", "t", "--student", "s", "--data", "d");
        Assert.AreEqual(2, code);
        var result = JsonDocument.Parse(output).RootElement;
        Assert.AreEqual(2, result.GetProperty("exitCode").GetInt32());
        string message = result.GetProperty("error").GetString()!;
        StringAssert.Contains(message, "'--lr' as a number");
        Assert.IsFalse(message.Contains("System.", StringComparison.Ordinal), message);
    }

    [TestMethod]
    public void SettingsAreCheckedInFlagTermsBeforeTheDataIsRead()
    {
        using var folder = new TempDirectory();
        var (code, _, error) = Neo("distill", "--teacher", "t", "--student", "s", "--data", folder.Sub("missing.jsonl"), "--rank", "0");
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "--rank must be between 1 and 1024; it is 0.");
        Assert.IsFalse(error.Contains("Parameter", StringComparison.Ordinal) || error.Contains("Actual value", StringComparison.Ordinal)
            || error.Contains("LoraRank", StringComparison.Ordinal), error);
        Assert.IsFalse(error.Contains("missing.jsonl", StringComparison.Ordinal), "the settings are refused before the data is opened");
        Assert.IsFalse(error.Contains("   at ", StringComparison.Ordinal), "no stack trace");
    }

    [TestMethod]
    public void DataFilesAreReadWithCaseInsensitiveKeysAndExplainedWhenWrong()
    {
        using var folder = new TempDirectory();
        string student = Path.Combine(RepositoryPaths.ToolFolder(), "EmbeddedModels", "student");
        string Write(string name, string text)
        {
            File.WriteAllText(folder.Sub(name), text);
            return folder.Sub(name);
        }

        var (code, output, error) = Neo("evaluate", "--model", student, "--data", Write("upper.jsonl", "{\"Prompt\": \"Question: 2 + 3?\\nAnswer: \", \"Response\": \"5\"}\n"), "--json");
        Assert.AreEqual(0, code, error);
        Assert.AreEqual(1, JsonDocument.Parse(output).RootElement.GetProperty("evaluated").GetInt32(), "'Prompt' and 'Response' match the default keys");

        (code, _, error) = Neo("evaluate", "--model", student, "--data", Write("array.jsonl", "[{\"prompt\": \"a\"}]\n"));
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "is a JSON array, not JSON lines");
        (code, _, error) = Neo("evaluate", "--model", student, "--data", Write("text.jsonl", "hello there\n"));
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "text.jsonl:1: not JSON");
        Assert.IsFalse(error.Contains("BytePositionInLine", StringComparison.Ordinal), error);
        (code, _, error) = Neo("evaluate", "--model", student, "--data", Write("keys.jsonl", "{\"q\": \"a\", \"a\": \"b\"}\n"));
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "no field 'prompt' (the line has 'q', 'a')");
    }

    [TestMethod]
    public void ExportNamesWhatItWasGivenInsteadOfAModelZip()
    {
        using var folder = new TempDirectory();
        var (code, _, error) = Neo("export", "--model", folder.Path, "--hf", folder.Sub("out"));
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "is a folder; this needs the model zip");
        File.WriteAllText(folder.Sub("train.jsonl"), "{\"prompt\": \"a\", \"response\": \"b\"}\n");
        (code, _, error) = Neo("export", "--model", folder.Sub("train.jsonl"), "--hf", folder.Sub("out"));
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "is not a model zip");
        Assert.IsFalse(error.Contains("   at ", StringComparison.Ordinal), "no stack trace");
    }

    [TestMethod]
    public async Task AServedTeachersLogprobCapIsExplainedInFlagTerms()
    {
        // neo serve at its defaults allows 20 logprobs (as vLLM); asking for more names the flags on both sides.
        using var folder = new TempDirectory();
        string models = Path.Combine(RepositoryPaths.ToolFolder(), "EmbeddedModels");
        await using var server = await Microsoft.ML.Neo.Server.NeoServer.StartAsync(
            new Microsoft.ML.Neo.Server.NeoServerOptions { ModelPath = Path.Combine(models, "teacher"), Port = 0 });
        File.WriteAllLines(folder.Sub("train.jsonl"), Enumerable.Range(1, 4).Select(i => $"{{\"prompt\": \"Question: {i} + 2?\\nAnswer: \", \"response\": \"{i + 2}\"}}"));
        var (code, _, error) = Neo("distill", "--teacher-url", server.BaseAddress.ToString(), "--student", Path.Combine(models, "student"),
            "--data", folder.Sub("train.jsonl"), "--top-k", "64", "--max-steps", "1", "--out", folder.Sub("s.zip"));
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "--top-k");
        StringAssert.Contains(error, "--max-logprobs 64");
        Assert.IsFalse(error.Contains("TeacherScoreTopK", StringComparison.Ordinal) || error.Contains("   at ", StringComparison.Ordinal), error);
    }

    [TestMethod]
    public void EmbeddedModelsAreReachableByName()
    {
        var (code, output, error) = Neo("tokenize", "--model", "embedded:styled-student", "--text", "Tom has 5", "--json");
        Assert.AreEqual(0, code, error);
        Assert.AreEqual("SentencePiece", JsonDocument.Parse(output).RootElement.GetProperty("kind").GetString());
        (code, _, error) = Neo("tokenize", "--model", "embedded:nope", "--text", "x");
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "names no embedded model; the tool ships embedded:student");
    }

    [TestMethod]
    public void HelpTopicsAnswerWithoutTheRepositoryDocs()
    {
        var (code, output, _) = Neo("help", "--json");
        Assert.AreEqual(0, code);
        CollectionAssert.IsSubsetOf(new[] { "data", "models", "json", "exit-codes" },
            JsonDocument.Parse(output).RootElement.GetProperty("topics").EnumerateArray().Select(t => t.GetString()).ToArray());
        (code, output, _) = Neo("help", "models");
        Assert.AreEqual(0, code);
        StringAssert.Contains(output, "embedded:styled-teacher");
        (code, _, string error) = Neo("help", "dat");
        Assert.AreEqual(2, code);
        StringAssert.Contains(error, "did you mean 'data'?");
        (code, output, _) = Neo("--help");
        Assert.IsFalse(output.Contains("docs/", StringComparison.Ordinal), "an installed tool's user has no docs folder");
        Assert.IsTrue(output.Split('\n').All(line => line.TrimEnd().Length <= 100), "help lines wrap at 100 columns when redirected");
    }

    [TestMethod]
    public void SweepSearchesTheGivenRangesForTheGivenStepsAndSavesTheBestModel()
    {
        using var folder = new TempDirectory();
        string[] Sweep(string metric) =>
        [
            "sweep", "--trials", "3", "--steps", "2", "--train", "64", "--validation", "8", "--test", "8", "--tuner", "random", "--seeds", "1,2",
            "--metric", metric, "--rank", "4", "--temperature", "2", "--kd", "0.5", "--lr", "0.001:0.01", "--divergence", "ForwardKL,reversekl",
            "--log", folder.Sub("trials.jsonl"), "--plot", folder.Sub("sweep.png"), "--dependence-plot", folder.Sub("dependence.png"),
            "--out", folder.Sub("best.zip"), "--json",
        ];
        var (code, output, error) = Neo(Sweep("loss"));
        Assert.AreEqual(0, code, error);
        var result = JsonDocument.Parse(output).RootElement;
        Assert.AreEqual(3, result.GetProperty("trials").GetInt32());
        StringAssert.Contains(result.GetProperty("bestParameters").GetString(), "rank 4");
        Assert.IsTrue(File.Exists(folder.Sub("best.zip")), "--out writes the best model");
        Assert.IsTrue(new FileInfo(folder.Sub("dependence.png")).Length > 10_000, "a panel per searched dimension");
        CollectionAssert.AreEquivalent(new[] { "LearningRate", "Divergences" },
            result.GetProperty("dependence").EnumerateArray().Select(d => d.GetProperty("dimension").GetString()).ToArray());
        var trialLines = File.ReadLines(folder.Sub("trials.jsonl")).Skip(1).ToList();
        Assert.AreEqual(3, trialLines.Count);
        foreach (string line in trialLines)
        {
            var trial = JsonDocument.Parse(line).RootElement;
            Assert.AreEqual(4, trial.GetProperty("lora_rank").GetInt32(), "a fixed rank stays fixed");
            double lr = trial.GetProperty("learning_rate").GetDouble();
            Assert.IsTrue(lr is >= 0.001 and <= 0.01, $"learning rate {lr} outside --lr");
            CollectionAssert.Contains(new[] { "ForwardKL", "ReverseKL" }, trial.GetProperty("divergence").GetString());
        }
        // The closing comparison: the best, the defaults, LoRA alone and SFT, each over the two seeds.
        var rows = result.GetProperty("comparison").EnumerateArray().ToList();
        CollectionAssert.AreEqual(new[] { "best configuration", "defaults (LLM-NEO)", "LoRA alone (KD weight 0)", "SFT of every weight" },
            rows.Select(r => r.GetProperty("name").GetString()).ToArray());
        foreach (var row in rows)
        {
            var perSeed = row.GetProperty("perSeed").EnumerateArray().Select(a => a.GetDouble()).ToList();
            Assert.AreEqual(2, perSeed.Count);
            Assert.AreEqual(perSeed.Average(), row.GetProperty("mean").GetDouble(), 1e-12);
        }

        // The same log with another metric is another sweep: refused in one line, exit 2.
        (code, _, error) = Neo(Sweep("perplexity"));
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "different sweep");
        Assert.IsFalse(error.Contains("   at ", StringComparison.Ordinal), "no stack trace");

        // Choices are checked in flag terms before anything is loaded.
        (code, _, error) = Neo(["sweep", "--priming", "None,Bogus", "--log", folder.Sub("other.jsonl")]);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "--priming: 'Bogus' is not one of None, Teacher");
        (code, _, error) = Neo(["sweep", "--finetuning", "Full", "--adapter", "Dora", "--log", folder.Sub("other.jsonl")]);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "--adapter is searched, but --finetuning has no Lora");
    }

    [TestMethod]
    public void AttentionComparesModelsHeadByHeadAndDrawsThem()
    {
        using var folder = new TempDirectory();
        var (code, output, error) = Neo(["attention", "--models", "embedded:styled-student,embedded:student", "--names", "styled,original",
            "--problems", "3", "--with-responses", "--out", folder.Sub("out"), "--json"]);
        Assert.AreEqual(0, code, error);
        var result = JsonDocument.Parse(output).RootElement;
        Assert.AreEqual(3, result.GetProperty("texts").GetInt32());
        var models = result.GetProperty("models").EnumerateArray().ToList();
        CollectionAssert.AreEqual(new[] { "styled", "original" }, models.Select(m => m.GetProperty("name").GetString()).ToArray());
        Assert.AreEqual(3, models[0].GetProperty("layers").GetInt32());
        double numbers = models[0].GetProperty("means").GetProperty("Numbers").GetDouble();
        Assert.IsTrue(numbers is > 0 and < 1, $"a share of attention: {numbers}");
        string table = File.ReadAllText(folder.Sub("out/attention.md"));
        StringAssert.Contains(table, "| statistic | layer | styled | original |");
        foreach (string png in new[] { "maps-styled.png", "maps-original.png", "comparison.png" })
            Assert.IsTrue(new FileInfo(folder.Sub("out/" + png)).Length > 10_000, png);

        (code, _, error) = Neo(["attention", "--models", "embedded:student", "--names", "a,b", "--out", folder.Sub("x")]);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "--names gives 2 names for 1 model.");
    }

    [TestMethod]
    public void DistillWithValidationKeepsTheBestStepAndPlotsTheCurves()
    {
        using var folder = new TempDirectory();
        string data = Path.Combine(RepositoryPaths.Root(), "src", "Neo.Samples", "data", "train.jsonl");
        string validation = folder.Sub("validation.jsonl");
        File.WriteAllLines(validation, File.ReadLines(data).Skip(100).Take(8));
        string[] common = ["distill", "--teacher", "embedded:styled-teacher", "--student", "embedded:styled-student", "--data", data];

        var (code, _, error) = Neo([.. common, "--patience", "2"]);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "add --validation FILE");
        Assert.AreEqual(2, Neo([.. common, "--validation-accuracy", "true"]).ExitCode);

        (code, var output, error) = Neo([.. common, "--max-steps", "4", "--batch", "4", "--micro-batch", "2", "--validation", validation,
            "--validate-every", "1", "--validation-accuracy", "true", "--keep-best", "--plot", folder.Sub("curves.png"), "--out", folder.Sub("s.zip"), "--json"]);
        Assert.AreEqual(0, code, error);
        var result = JsonDocument.Parse(output).RootElement;
        int best = result.GetProperty("bestValidationStep").GetInt32();
        Assert.IsTrue(best is >= 1 and <= 4, $"best step {best}");
        Assert.IsTrue(result.GetProperty("bestValidationLoss").GetDouble() <= result.GetProperty("validationLoss").GetDouble());
        Assert.IsTrue(new FileInfo(folder.Sub("curves.png")).Length > 1000, "the learning curves");
        StringAssert.Contains(error, "8 validation pairs");
    }

    [TestMethod]
    public void CapturedTeacherLogitsDistillLikeTheTeacherAndTheTeacherIsNamedOnce()
    {
        using var folder = new TempDirectory();
        string data = folder.Sub("train.jsonl");
        File.WriteAllLines(data, File.ReadLines(Path.Combine(RepositoryPaths.Root(), "src", "Neo.Samples", "data", "train.jsonl")).Take(8));
        var (code, output, error) = Neo("capture-logits", "--teacher", "embedded:styled-teacher", "--data", data, "--out", folder.Sub("logits.parquet"),
            "--top-k", "16", "--layout", "DistillKit", "--precision", "float32", "--json");
        Assert.AreEqual(0, code, error);
        var captured = JsonDocument.Parse(output).RootElement;
        Assert.AreEqual(8, captured.GetProperty("rows").GetInt32());
        Assert.IsTrue(File.Exists(folder.Sub("logits.compression.json")), "DistillKit's configuration beside the data");

        string[] student = ["--student", "embedded:styled-student", "--data", data, "--max-steps", "2", "--batch", "4", "--precision", "float32", "--json"];
        (code, _, error) = Neo(["distill", "--teacher", "embedded:styled-teacher", "--teacher-logits", folder.Sub("logits.parquet"), .. student]);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "exactly one");

        (code, output, error) = Neo(["distill", "--teacher", "embedded:styled-teacher", "--top-k", "16", "--teacher-cache", folder.Sub("cache"),
            "--cache-encoding", "Exact", "--out", folder.Sub("a.zip"), .. student]);
        Assert.AreEqual(0, code, error);
        double fromTeacher = JsonDocument.Parse(output).RootElement.GetProperty("loss").GetDouble();
        (code, output, error) = Neo(["distill", "--teacher-logits", folder.Sub("logits.parquet"), "--distillkit-config", folder.Sub("logits.compression.json"),
            "--cache-encoding", "Exact", "--out", folder.Sub("b.zip"), .. student]);
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "teacher scores: 0/8 already in the cache");
        Assert.AreEqual(fromTeacher, JsonDocument.Parse(output).RootElement.GetProperty("loss").GetDouble(), 1e-4 * fromTeacher, "the same run from the captured logits");
    }

    [TestMethod]
    public void SelfDistillationNeedsNoTeacherAndLearnsFromTheContextItIsShown()
    {
        using var folder = new TempDirectory();
        string data = folder.Sub("train.jsonl");
        File.WriteAllLines(data, File.ReadLines(Path.Combine(RepositoryPaths.Root(), "src", "Neo.Samples", "data", "train.jsonl")).Take(8)
            .Select(line => JsonSerializer.Deserialize<Dictionary<string, string>>(line)!)
            .Select(row => JsonSerializer.Serialize(new { prompt = row["prompt"], response = row["response"], answer = row["response"].Split("#### ")[^1] })));
        string[] common = ["distill", "--self", "--student", "embedded:styled-student", "--data", data, "--max-steps", "1", "--batch", "8", "--precision", "float32", "--json"];

        var (code, _, error) = Neo([.. common, "--teacher", "embedded:styled-teacher"]);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "--self");
        (code, _, error) = Neo([.. common, "--priming", "GroundTruthWithAnswer"]);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "--answer-key");

        (code, var output, error) = Neo([.. common, "--out", folder.Sub("plain.zip")]);
        Assert.AreEqual(0, code, error);
        Assert.AreEqual(0, JsonDocument.Parse(output).RootElement.GetProperty("divergence").GetDouble(), 1e-6, "the untrained student is its base");
        (code, output, error) = Neo([.. common, "--priming", "Custom", "--priming-template", "{question} The answer is {answer}.", "--answer-key", "answer",
            "--out", folder.Sub("primed.zip")]);
        Assert.AreEqual(0, code, error);
        Assert.IsTrue(JsonDocument.Parse(output).RootElement.GetProperty("divergence").GetDouble() > 1e-3, "the base shown the answer teaches");
    }

    [TestMethod]
    public void LoraVariantsAreFlagsAndReachThePeftExport()
    {
        using var folder = new TempDirectory();
        string data = folder.Sub("train.jsonl");
        File.WriteAllLines(data, File.ReadLines(Path.Combine(RepositoryPaths.Root(), "src", "Neo.Samples", "data", "train.jsonl")).Take(4));
        string[] common = ["distill", "--teacher", "embedded:styled-teacher", "--student", "embedded:styled-student", "--data", data,
            "--max-steps", "1", "--batch", "4", "--precision", "float32", "--json"];

        var (code, _, error) = Neo([.. common, "--dora", "--lora-init", "Pissa"]);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "--dora");
        StringAssert.Contains(error, "--lora-init");

        (code, _, error) = Neo([.. common, "--dora", "--rslora", "--out", folder.Sub("dora.zip"), "--export-peft", folder.Sub("peft")]);
        Assert.AreEqual(0, code, error);
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Sub("peft"), "adapter_config.json"))).RootElement;
        Assert.IsTrue(config.GetProperty("use_dora").GetBoolean());
        Assert.IsTrue(config.GetProperty("use_rslora").GetBoolean());
    }

    [TestMethod]
    public void SeveralTeachersMixByWeightOrTakeTheRowsThatNameThem()
    {
        using var folder = new TempDirectory();
        string data = folder.Sub("train.jsonl");
        File.WriteAllLines(data, File.ReadLines(Path.Combine(RepositoryPaths.Root(), "src", "Neo.Samples", "data", "train.jsonl")).Take(8)
            .Select((line, i) => JsonSerializer.Deserialize<Dictionary<string, string>>(line)!)
            .Select((row, i) => JsonSerializer.Serialize(new { prompt = row["prompt"], response = row["response"], teacher = i % 2 == 0 ? "styled" : "plain" })));
        string[] common = ["distill", "--student", "embedded:styled-student", "--data", data, "--max-steps", "1", "--batch", "8", "--precision", "float32", "--json",
            "--teacher-mix", "styled=embedded:styled-teacher:3", "--teacher-mix", "plain=embedded:teacher"];

        var (code, _, error) = Neo([.. common, "--teacher-mix", "broken"]);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "NAME=FOLDER");
        (code, var output, error) = Neo([.. common, "--out", folder.Sub("mixed.zip")]);
        Assert.AreEqual(0, code, error);
        double mixed = JsonDocument.Parse(output).RootElement.GetProperty("divergence").GetDouble();
        (code, output, error) = Neo([.. common, "--teacher-key", "teacher", "--out", folder.Sub("routed.zip")]);
        Assert.AreEqual(0, code, error);
        Assert.AreNotEqual(mixed, JsonDocument.Parse(output).RootElement.GetProperty("divergence").GetDouble(), "routing is not the mixture");
    }

    [TestMethod]
    public void EvaluateGivesTheSameAnswersBatchedAndOneAtATime()
    {
        string[] Run(string batch)
        {
            var (code, output, error) = Neo("evaluate", "--model", "embedded:styled-student", "--limit", "24", "--batch", batch, "--json");
            Assert.AreEqual(0, code, error);
            var result = JsonDocument.Parse(output).RootElement;
            return new[] { result.GetProperty("correct").GetInt32().ToString(), result.GetProperty("evaluated").GetInt32().ToString() };
        }
        CollectionAssert.AreEqual(Run("1"), Run("8"));
        Assert.AreEqual(2, Neo("evaluate", "--model", "embedded:styled-student", "--batch", "0").ExitCode);
    }
}
