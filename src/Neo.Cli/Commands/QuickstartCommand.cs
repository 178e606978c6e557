using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Training;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Evaluation;

using Neo.Cli.Experiments;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// The quickstart: LLM-NEO's comparison on the embedded distillation task. Distils the embedded teacher into the
/// embedded student with NeoDistill four ways at one step budget (SFT of every weight, LoRA, KD of every weight,
/// LLM-NEO = LoRA + KD), compares exact-match accuracy on held-out problems, then saves, reloads and uses the zip.
///   neo quickstart [--task styled|arithmetic] [--conditions sft,lora,kd-full,neo] [--train 16000] [--eval 200] [--epochs 1]
///              [--rank 64] [--lr 0.004] [--lr-full 0.004] [--temperature 1] [--kd 0.5] [--out quickstart-out] [--precision auto|float32|bfloat16] [--seed 1]
/// Each run's per-step losses go to OUT/losses-&lt;condition&gt;.csv (step, loss, ce, kd).
/// </summary>
internal static class QuickstartCommand
{
    public static Command Create()
    {
        var modelsOption = With("--models", EmbeddedModels, "Folder with the embedded checkpoints.");
        var taskOption = With("--task", "styled",
            "styled: the distillation task (noisy references in three solution styles; styled-teacher, styled-student); " +
            "arithmetic: the original task (exact references; teacher, student).").AcceptOnlyFromAmong(EmbeddedRecipes.Tasks);
        var conditionsOption = With("--conditions", NeoCondition.PaperRows, "Runs to compare: " + NeoCondition.KnownKeys + ".");
        var trainOption = With("--train", 16000, "Synthetic problems to distil on.");
        var evalOption = With("--eval", 200, "Held-out problems to measure exact match on.");
        var epochsOption = With("--epochs", 1, "Epochs.");
        var rankOption = With("--rank", EmbeddedRecipes.Distillation.LoraRank, "LoRA rank (alpha is twice the rank).");
        var lrOption = With("--lr", EmbeddedRecipes.Distillation.LearningRate, "Learning rate of the LoRA runs.");
        var lrFullOption = With("--lr-full", EmbeddedRecipes.Distillation.LearningRate, "Learning rate of the full-parameter runs.");
        var temperatureOption = With("--temperature", (double)EmbeddedRecipes.Distillation.Temperature, "Distillation temperature.");
        var kdOption = With("--kd", (double)EmbeddedRecipes.Distillation.KdWeight, "KD weight of the distilling runs (the others use 0).");
        var outOption = With("--out", "quickstart-out", "Folder for the zip and the loss curves.");
        var precisionOption = Precision();
        var seedOption = With("--seed", 1, "Seed of every run.");
        var command = new Command("quickstart",
            "LLM-NEO's comparison on the embedded distillation task (SFT, LoRA, full KD, LLM-NEO on held-out problems), then save, reload and use the zip (about 4.5 minutes on 2 cores with AVX-512, about 30 with AVX2 only).")
        {
            modelsOption, taskOption, conditionsOption, trainOption, evalOption, epochsOption, rankOption, lrOption, lrFullOption, temperatureOption, kdOption,
            outOption, precisionOption, seedOption,
        }.WithExample("neo quickstart --task arithmetic --conditions lora,neo --lr 5e-3");
        command.SetWork((parse, console, cancellation) => Run(console, cancellation, parse.GetValue(modelsOption)!, parse.GetValue(taskOption) == "styled",
            NeoCondition.Parse(parse.GetValue(conditionsOption)!), parse.GetValue(trainOption), parse.GetValue(evalOption), parse.GetValue(epochsOption),
            parse.GetValue(rankOption), parse.GetValue(lrOption), parse.GetValue(lrFullOption), parse.GetValue(temperatureOption), parse.GetValue(kdOption),
            parse.GetValue(outOption)!, parse.GetValue(precisionOption), parse.GetValue(seedOption)));
        return command;
    }

    private static int Run(CliConsole console, CancellationToken cancellation, string models, bool styled, List<NeoCondition> conditions, int trainCount,
        int evalCount, int epochs, int rank, double learningRate, double fullLearningRate, double temperature, double kd, string output,
        ComputePrecision precision, int seed)
    {
        if (conditions.Count == 0) throw new ArgumentException("--conditions names no run; give at least one of " + NeoCondition.KnownKeys + ".");
        var total = Stopwatch.StartNew();
        string teacherPath = Path.Combine(models, styled ? "styled-teacher" : "teacher"), studentPath = Path.Combine(models, styled ? "styled-student" : "student");
        Directory.CreateDirectory(output);

        // The distillation task's references are noisy (slips carried forward, answer-only lines); held-out problems are clean.
        var train = EmbeddedRecipes.DistillationProblems(styled, trainCount);
        var heldOut = EmbeddedRecipes.HeldOutProblems(styled, evalCount);
        console.WriteLine(styled
            ? $"Task: {trainCount} synthetic GSM8K-style problems to distil on, with noisy references " +
              $"({ReferenceNoise.Embedded.SlipRate:P0} carry an arithmetic slip, {ReferenceNoise.Embedded.AnswerOnlyRate:P0} of the rest give only the answer); " +
              $"{evalCount} clean ones held out. Example:"
            : $"Task: {trainCount} synthetic GSM8K-style problems to distil on, {evalCount} held out. Example:");
        console.WriteLine($"  {heldOut[0].Prompt.ReplaceLineEndings(" ")} {heldOut[0].Solution.ReplaceLineEndings(" ")}\n");

        double teacherAccuracy, studentBefore;
        using (var teacher = CausalLM.FromPretrained(teacherPath)) teacherAccuracy = ExactMatchEvaluator.Accuracy(teacher, heldOut);
        using (var student = CausalLM.FromPretrained(studentPath)) studentBefore = ExactMatchEvaluator.Accuracy(student, heldOut);
        console.WriteLine($"teacher {teacherAccuracy:P1}, student before distillation {studentBefore:P1}  ({total.Elapsed.TotalSeconds:F0} s)");

        var ml = new MLContext(seed: seed);
        var data = ml.Data.LoadFromEnumerable(train.Select(PromptResponseRow.From));
        var evalData = ml.Data.LoadFromEnumerable(heldOut.Select(PromptResponseRow.From));

        var results = new List<(string Name, double Accuracy, double Seconds)>();
        // The zip the quickstart saves is LLM-NEO's when it runs, else the last run's.
        string keptKey = conditions.Any(c => c.Key == "neo") ? "neo" : conditions[^1].Key;
        NeoDistillTransformer? kept = null;
        foreach (var condition in conditions)
        {
            var clock = Stopwatch.StartNew();
            var options = new NeoDistillOptions
            {
                Teacher = new TeacherModel(teacherPath), StudentModelPath = studentPath,
                PromptColumnName = "Prompt", ResponseColumnName = "Response", OutputColumnName = "Completion",
                LoraRank = rank, LoraAlpha = 2 * rank, Temperature = (float)temperature,
                Epochs = epochs, BatchSize = EmbeddedRecipes.Distillation.BatchSize, MaxNewTokens = EmbeddedRecipes.Distillation.MaxNewTokens, Seed = seed, Precision = precision, Cancellation = cancellation,
            };
            condition.ApplyTo(options, kd, learningRate, fullLearningRate, Path.Combine(output, "teacher-cache"));
            var losses = new List<string> { "step,loss,ce,kd" };
            var model = console.Train(condition.Name, progress =>
            {
                options.Progress = new ProgressCallback<TrainingProgress>(p =>
                {
                    losses.Add(FormattableString.Invariant($"{p.Step},{p.Loss:R},{p.CrossEntropy:R},{p.Divergence:R}"));
                    progress.Report(p);
                });
                return ml.Transforms.NeoDistill(options).Fit(data);
            });
            File.WriteAllLines(Path.Combine(output, $"losses-{condition.Key}.csv"), losses);
            double trainSeconds = clock.Elapsed.TotalSeconds;
            var completions = model.Transform(evalData).GetColumn<string>("Completion").ToList();
            double accuracy = heldOut.Zip(completions).Count(p => AnswerExtractor.Extract(p.Second) == p.First.Answer) / (double)evalCount;
            results.Add((condition.Name, accuracy, trainSeconds));
            console.WriteLine($"{condition.Name}: {accuracy:P1} after {trainSeconds:F0} s of training, {options.Finetuning} on {model.Student.WeightDtype} weights " +
                              $"(last step ce {model.TrainingSummary?.CrossEntropy:F3}, kd {model.TrainingSummary?.Divergence:F3})");
            if (kept is null && condition.Key == keptKey) kept = model;
            else model.Dispose();
        }
        var distilled = kept!;

        console.WriteLine();
        console.WriteLine("| model | exact match | training time |");
        console.WriteLine("|---|---|---|");
        console.WriteLine($"| teacher | {teacherAccuracy:P1} | |");
        console.WriteLine($"| student before | {studentBefore:P1} | |");
        foreach (var (name, accuracy, seconds) in results) console.WriteLine($"| student, {name} | {accuracy:P1} | {seconds:F0} s |");

        string zip = Path.Combine(output, "student.zip");
        ml.Model.Save(distilled, data.Schema, zip);
        var expected = heldOut.Take(3).Select(p => distilled.Complete(p.Prompt)).ToList();
        distilled.Dispose();
        var fresh = new MLContext();
        var reloaded = fresh.Model.Load(zip, out _);
        var engine = fresh.Model.CreatePredictionEngine<PromptResponseRow, Prediction>(reloaded);
        console.WriteLine($"\nSaved {zip} ({new FileInfo(zip).Length / 1024} KiB), reloaded in a new MLContext:");
        bool identical = true;
        for (int i = 0; i < 3; i++)
        {
            string completion = engine.Predict(new PromptResponseRow { Prompt = heldOut[i].Prompt }).Completion;
            identical &= completion == expected[i];
            console.WriteLine($"  Q: {heldOut[i].Question}\n  A: {completion.ReplaceLineEndings(" ")}   (reference {heldOut[i].Answer})");
        }
        console.WriteLine($"Reloaded completions identical to the trained model's: {identical}");
        console.WriteLine($"Quickstart finished in {total.Elapsed.TotalSeconds:F0} s.");
        console.WriteResult(new
        {
            teacher = teacherAccuracy, studentBefore,
            runs = results.Select(r => new { name = r.Name, accuracy = r.Accuracy, trainSeconds = r.Seconds }).ToList(),
            model = Path.GetFullPath(zip), reloadedIdentical = identical, seconds = total.Elapsed.TotalSeconds,
        });
        return identical ? ExitCodes.Success : ExitCodes.CheckFailed;
    }

    private sealed class Prediction
    {
        public string Completion { get; set; } = "";
    }
}
