namespace Microsoft.ML.Neo.Tests.Samples;

/// <summary>
/// Runs each console app of src/Neo.Samples as a user would (dotnet SAMPLE.dll ARGS, in a scratch folder), on the
/// embedded models and src/Neo.Samples/data, with the fewest steps that still go through every stage of the sample:
/// a smoke run, not a quality run.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class SampleTests
{
    private static string Models => Path.Combine(RepositoryPaths.Root(), "src", "Neo.Cli", "EmbeddedModels");
    private static string Data => Path.Combine(RepositoryPaths.Root(), "src", "Neo.Samples", "data");

    // A sample that hangs fails its test within 5 minutes instead of holding the suite.
    private static (int ExitCode, string Output) Run(string workingDirectory, string sample, params string[] args)
    {
        var (exitCode, stdout, stderr) = ToolProcesses.Run("dotnet", [RepositoryPaths.SampleProgram(sample), .. args], workingDirectory, TimeSpan.FromMinutes(5));
        return (exitCode, stdout + stderr);
    }

    // Runs the checks in a fresh scratch folder (the samples write their outputs to the current folder), then removes it.
    private static void InScratchFolder(Action<string> checks)
    {
        string folder = Path.Combine(Path.GetTempPath(), "neo-sample-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        try
        {
            checks(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Succeeded((int ExitCode, string Output) run)
    {
        Assert.AreEqual(0, run.ExitCode, run.Output);
    }

    [TestMethod]
    [DataRow("DistillInAPipeline")]
    [DataRow("ResponsePriming")]
    [DataRow("SweepRankAndTemperature")]
    [DataRow("ServedTeacher")]
    [DataRow("ChatWithTheStudent")]
    [DataRow("ExportToHuggingFace")]
    public void ASampleTakesNamedOptionsAndSaysWhatIsWrongWithoutAStackTrace(string sample)
    {
        var (exitCode, output) = Run(Path.GetTempPath(), sample, "--help");
        Assert.AreEqual(0, exitCode, output);
        StringAssert.StartsWith(output.Trim(), "usage: " + sample);
        (exitCode, output) = Run(Path.GetTempPath(), sample, "student.zip");
        Assert.AreEqual(2, exitCode, output);
        StringAssert.Contains(output, "'student.zip' is not an option; the samples take named options");
        (exitCode, output) = Run(Path.GetTempPath(), sample, "--no-such-option", "1");
        Assert.AreEqual(2, exitCode, output);
        StringAssert.Contains(output, "'--no-such-option' is not an option of this sample");
        Assert.IsFalse(output.Contains("   at ", StringComparison.Ordinal), output);
    }

    [TestMethod]
    public void AMissingModelIsNamedWithTheOptionThatSetsIt()
    {
        InScratchFolder(work =>
        {
            // The chat sample's default is the zip DistillInAPipeline writes; before that runs there is none.
            var (exitCode, output) = Run(work, "ChatWithTheStudent", "--prompt", "hi");
            Assert.AreEqual(2, exitCode, output);
            StringAssert.Contains(output, "--model 'samples-out/DistillInAPipeline/student.zip' does not exist (the default; pass --model).");
            Assert.IsFalse(output.Contains("   at ", StringComparison.Ordinal), output);
        });
    }

    [TestMethod]
    public void DistilSaveReloadThenChatAndExport()
    {
        InScratchFolder(work =>
        {
            // Each sample at its defaults but the step count: the embedded pair and data/train.jsonl, copied next to it.
            var distil = Run(work, "DistillInAPipeline", "--max-steps", "3");
            Succeeded(distil);
            StringAssert.Contains(distil.Output, "step 3/3");
            StringAssert.Contains(distil.Output, "saved samples-out/DistillInAPipeline/student.zip");
            Assert.AreEqual(3, distil.Output.Split("  student:").Length - 1, "three predictions from the reloaded zip");

            var chat = Run(work, "ChatWithTheStudent", "--prompt", @"Question: Tom has 5 stamps. He buys 3 more. How many stamps does Tom have now?\nAnswer:");
            Succeeded(chat);
            StringAssert.Contains(chat.Output, "####", "the student answers in the task's format");

            // The sample exits 1 when the merged folder or base + PEFT adapters complete differently from the zip.
            var export = Run(work, "ExportToHuggingFace");
            Succeeded(export);
            StringAssert.Contains(export.Output, "all three agree");
            Assert.IsTrue(File.Exists(Path.Combine(work, "samples-out", "ExportToHuggingFace", "merged", "model.safetensors")));
            Assert.IsTrue(File.Exists(Path.Combine(work, "samples-out", "ExportToHuggingFace", "peft", "adapter_config.json")));
            CollectionAssert.AreEquivalent(new[] { "samples-out" }, Directory.GetFileSystemEntries(work).Select(Path.GetFileName).ToArray(),
                "the samples write into samples-out/ only");
        });
    }

    [TestMethod]
    public void ResponsePrimingTrainsAndScoresOnAGsm8kFile()
    {
        InScratchFolder(work =>
        {
            var run = Run(work, "ResponsePriming", "--teacher", Path.Combine(Models, "styled-teacher-primed"), "--student", Path.Combine(Models, "styled-student"),
                "--data", Path.Combine(Data, "train.jsonl"), "--test", Path.Combine(Data, "test.jsonl"), "--max-steps", "2", "--test-rows", "8");
            Succeeded(run);
            Assert.AreEqual(3, run.Output.Split("primed teacher:").Length - 1);
            StringAssert.Contains(run.Output, "before distillation: accuracy");
            StringAssert.Contains(run.Output, "trained: step 2/2");
            StringAssert.Contains(run.Output, "/8)", "accuracy over the 8 test rows asked for");
            Assert.IsTrue(File.Exists(Path.Combine(work, "samples-out", "ResponsePriming", "primed-student.zip")));
        });
    }

    [TestMethod]
    public void TheSweepRunsFourTrialsAndWritesItsPlotAndBestModel()
    {
        InScratchFolder(work =>
        {
            var run = Run(work, "SweepRankAndTemperature", "--rows", "200", "--max-steps", "2", "--validation-rows", "8", "--out", "sweep");
            Succeeded(run);
            for (int trial = 1; trial <= 4; trial++) StringAssert.Contains(run.Output, $"trial {trial}/4 Completed");
            Assert.IsTrue(new FileInfo(Path.Combine(work, "sweep", "sweep.png")).Length > 1000);
            Assert.IsTrue(File.Exists(Path.Combine(work, "sweep", "best.zip")));
            Assert.AreEqual(4, File.ReadLines(Path.Combine(work, "sweep", "sweep-trials.jsonl")).Count(line => line.Contains("\"trial\"")));
        });
    }

    [TestMethod]
    public void AServedTeacherIsScoredOverLoopbackAndTheRunIsSaved()
    {
        InScratchFolder(work =>
        {
            var run = Run(work, "ServedTeacher", "--max-steps", "2");
            Succeeded(run);
            StringAssert.Contains(run.Output, "serving ");
            StringAssert.Contains(run.Output, "the server answered 400 scoring requests", "every training row is scored once, up front");
            Assert.IsTrue(File.Exists(Path.Combine(work, "samples-out", "ServedTeacher", "served-student.zip")));
            Assert.IsTrue(Directory.Exists(Path.Combine(work, "samples-out", "ServedTeacher", "teacher-cache")));
        });
    }

    [TestMethod]
    public void ThePaperExperimentsRunTheirTablesAndPlots()
    {
        InScratchFolder(work =>
        {
            string[] small = ["--train", "16", "--eval", "4", "--seeds", "1", "--rank", "4", "--batch", "8", "--curve-every", "1"];
            var neo = Run(work, "PaperExperiments", ["llm-neo", .. small, "--conditions", "lora,neo"]);
            Succeeded(neo);
            StringAssert.Contains(neo.Output, "| LoRA | ");
            StringAssert.Contains(neo.Output, "| LLM-NEO (LoRA + KD) | ");
            Assert.IsTrue(new FileInfo(Path.Combine(work, "samples-out", "PaperExperiments", "neo-experiment.png")).Length > 1000);
            Assert.AreEqual(2, File.ReadLines(Path.Combine(work, "samples-out", "PaperExperiments", "neo-results.jsonl")).Count(), "one finished run per condition and seed");

            var priming = Run(work, "PaperExperiments", ["response-priming", .. small, "--conditions", "base-kd,teacher"]);
            Succeeded(priming);
            StringAssert.Contains(priming.Output, "| base KD | ");
            StringAssert.Contains(priming.Output, "| Teacher priming | ");
            Assert.IsTrue(new FileInfo(Path.Combine(work, "samples-out", "PaperExperiments", "priming-experiment.png")).Length > 1000);

            // The results log makes the run resumable: the same command again trains nothing.
            var again = Run(work, "PaperExperiments", ["llm-neo", .. small, "--conditions", "lora,neo"]);
            Succeeded(again);
            Assert.AreEqual(2, File.ReadLines(Path.Combine(work, "samples-out", "PaperExperiments", "neo-results.jsonl")).Count(), "nothing is run twice");
        });
    }
}
