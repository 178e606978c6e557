using System.Diagnostics;

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

    private static (int ExitCode, string Output) Run(string workingDirectory, string sample, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        start.ArgumentList.Add(RepositoryPaths.SampleProgram(sample));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
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
    public void WithoutArgumentsASampleSaysHowToRunItAndExits2(string sample)
    {
        var (exitCode, output) = Run(Path.GetTempPath(), sample);
        Assert.AreEqual(2, exitCode, output);
        StringAssert.StartsWith(output.Trim(), "usage: " + sample);
    }

    [TestMethod]
    public void DistilSaveReloadThenChatAndExport()
    {
        InScratchFolder(work =>
        {
            var distil = Run(work, "DistillInAPipeline", Path.Combine(Models, "styled-teacher"), Path.Combine(Models, "styled-student"), Path.Combine(Data, "train.jsonl"), "3");
            Succeeded(distil);
            StringAssert.Contains(distil.Output, "step 3/3");
            StringAssert.Contains(distil.Output, "saved student.zip");
            Assert.AreEqual(3, distil.Output.Split("  student:").Length - 1, "three predictions from the reloaded zip");

            var chat = Run(work, "ChatWithTheStudent", "student.zip", @"Question: Tom has 5 stamps. He buys 3 more. How many stamps does Tom have now?\nAnswer:");
            Succeeded(chat);
            StringAssert.Contains(chat.Output, "####", "the student answers in the task's format");

            // The sample exits 1 when the merged folder or base + PEFT adapters complete differently from the zip.
            var export = Run(work, "ExportToHuggingFace", "student.zip", Path.Combine(Models, "styled-student"), "export");
            Succeeded(export);
            StringAssert.Contains(export.Output, "all three agree");
            Assert.IsTrue(File.Exists(Path.Combine(work, "export", "merged", "model.safetensors")));
            Assert.IsTrue(File.Exists(Path.Combine(work, "export", "peft", "adapter_config.json")));
        });
    }

    [TestMethod]
    public void ResponsePrimingTrainsAndScoresOnAGsm8kFile()
    {
        InScratchFolder(work =>
        {
            var run = Run(work, "ResponsePriming", Path.Combine(Models, "styled-teacher-primed"), Path.Combine(Models, "styled-student"),
                Path.Combine(Data, "train.jsonl"), Path.Combine(Data, "test.jsonl"), "2", "8");
            Succeeded(run);
            Assert.AreEqual(3, run.Output.Split("primed teacher:").Length - 1);
            StringAssert.Contains(run.Output, "trained: step 2/2");
            StringAssert.Contains(run.Output, "/8)", "accuracy over the 8 test rows asked for");
        });
    }

    [TestMethod]
    public void TheSweepRunsFourTrialsAndWritesItsPlotAndBestModel()
    {
        InScratchFolder(work =>
        {
            var run = Run(work, "SweepRankAndTemperature", Path.Combine(Models, "styled-teacher"), Path.Combine(Models, "styled-student"),
                Path.Combine(Data, "train.jsonl"), "2", "8");
            Succeeded(run);
            for (int trial = 1; trial <= 4; trial++) StringAssert.Contains(run.Output, $"trial {trial}/4 Completed");
            Assert.IsTrue(new FileInfo(Path.Combine(work, "sweep.png")).Length > 1000);
            Assert.IsTrue(File.Exists(Path.Combine(work, "best.zip")));
            Assert.AreEqual(4, File.ReadLines(Path.Combine(work, "sweep-trials.jsonl")).Count(line => line.Contains("\"trial\"")));
        });
    }

    [TestMethod]
    public void AServedTeacherIsScoredOverLoopbackAndTheRunIsSaved()
    {
        InScratchFolder(work =>
        {
            var run = Run(work, "ServedTeacher", Path.Combine(Models, "styled-teacher"), Path.Combine(Models, "styled-student"), Path.Combine(Data, "train.jsonl"), "2");
            Succeeded(run);
            StringAssert.Contains(run.Output, "serving ");
            StringAssert.Contains(run.Output, "the server answered 400 scoring requests", "every training row is scored once, up front");
            Assert.IsTrue(File.Exists(Path.Combine(work, "served-student.zip")));
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
            Assert.IsTrue(new FileInfo(Path.Combine(work, "neo-experiment.png")).Length > 1000);
            Assert.AreEqual(2, File.ReadLines(Path.Combine(work, "neo-results.jsonl")).Count(), "one finished run per condition and seed");

            var priming = Run(work, "PaperExperiments", ["response-priming", .. small, "--conditions", "base-kd,teacher"]);
            Succeeded(priming);
            StringAssert.Contains(priming.Output, "| base KD | ");
            StringAssert.Contains(priming.Output, "| Teacher priming | ");
            Assert.IsTrue(new FileInfo(Path.Combine(work, "priming-experiment.png")).Length > 1000);

            // The results log makes the run resumable: the same command again trains nothing.
            var again = Run(work, "PaperExperiments", ["llm-neo", .. small, "--conditions", "lora,neo"]);
            Succeeded(again);
            Assert.AreEqual(2, File.ReadLines(Path.Combine(work, "neo-results.jsonl")).Count(), "nothing is run twice");
        });
    }
}
