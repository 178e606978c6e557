using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Training;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Evaluation;

using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// The quickstart: distils the embedded teacher into the embedded student with NeoDistill, compares exact-match
/// accuracy on held-out problems (teacher, student before, LoRA-only, LLM-NEO), then saves, reloads and uses the zip.
///   neo quickstart [--models DIR] [--train 16000] [--eval 200] [--epochs 1] [--rank 64] [--lr 0.005] [--temperature 1] [--kd 0.5] [--out quickstart-out]
///              [--precision auto|float32|bfloat16] [--seed 1]
/// Each run's per-step losses go to OUT/losses-lora.csv and OUT/losses-neo.csv (step, loss, ce, kd).
/// </summary>
internal static class QuickstartCommand
{
    public static Command Create()
    {
        var modelsOption = With("--models", EmbeddedModels, "Folder with the teacher and student checkpoints.");
        var trainOption = With("--train", 16000, "Synthetic problems to distil on.");
        var evalOption = With("--eval", 200, "Held-out problems to measure exact match on.");
        var epochsOption = With("--epochs", 1, "Epochs.");
        var rankOption = With("--rank", 64, "LoRA rank (alpha is twice the rank).");
        var lrOption = With("--lr", 5e-3, "Learning rate.");
        var temperatureOption = With("--temperature", 1.0, "Distillation temperature.");
        var kdOption = With("--kd", 0.5, "KD weight of the LLM-NEO run (the other run uses 0).");
        var outOption = With("--out", "quickstart-out", "Folder for the zip and the loss curves.");
        var precisionOption = Precision();
        var seedOption = With("--seed", 1, "Seed of both runs.");
        var command = new Command("quickstart",
            "Distil the embedded teacher into the embedded student, compare LoRA-only with LLM-NEO on held-out problems, then save, reload and use the zip (about 3 minutes on 2 cores).")
        {
            modelsOption, trainOption, evalOption, epochsOption, rankOption, lrOption, temperatureOption, kdOption, outOption, precisionOption, seedOption,
        }.WithExample("neo quickstart --precision float32 --seed 2");
        command.SetWork((parse, console, cancellation) => Run(console, cancellation, parse.GetValue(modelsOption)!, parse.GetValue(trainOption),
            parse.GetValue(evalOption), parse.GetValue(epochsOption), parse.GetValue(rankOption), parse.GetValue(lrOption),
            parse.GetValue(temperatureOption), parse.GetValue(kdOption), parse.GetValue(outOption)!, parse.GetValue(precisionOption), parse.GetValue(seedOption)));
        return command;
    }

    private static int Run(CliConsole console, CancellationToken cancellation, string models, int trainCount, int evalCount, int epochs, int rank,
        double learningRate, double temperature, double kd, string output, ComputePrecision precision, int seed)
    {
        var total = Stopwatch.StartNew();
        string teacherPath = Path.Combine(models, "teacher"), studentPath = Path.Combine(models, "student");
        Directory.CreateDirectory(output);

        var train = ArithmeticWordProblems.Generate(trainCount, EmbeddedRecipes.DistillationSeed);
        var heldOut = ArithmeticWordProblems.Generate(evalCount, EmbeddedRecipes.EvaluationSeed);
        console.WriteLine($"Task: {trainCount} synthetic GSM8K-style problems to distil on, {evalCount} held out. Example:");
        console.WriteLine($"  {heldOut[0].Prompt.ReplaceLineEndings(" ")} {heldOut[0].Solution.ReplaceLineEndings(" ")}\n");

        double teacherAccuracy, studentBefore;
        using (var teacher = CausalLM.FromPretrained(teacherPath)) teacherAccuracy = ExactMatchEvaluator.Accuracy(teacher, heldOut);
        using (var student = CausalLM.FromPretrained(studentPath)) studentBefore = ExactMatchEvaluator.Accuracy(student, heldOut);
        console.WriteLine($"teacher {teacherAccuracy:P1}, student before distillation {studentBefore:P1}  ({total.Elapsed.TotalSeconds:F0} s)");

        var ml = new MLContext(seed: seed);
        var data = ml.Data.LoadFromEnumerable(train.Select(PromptResponseRow.From));
        var evalData = ml.Data.LoadFromEnumerable(heldOut.Select(PromptResponseRow.From));
        NeoDistillOptions Options(float kdWeight) => new()
        {
            TeacherModelPath = teacherPath, StudentModelPath = studentPath,
            PromptColumnName = "Prompt", ResponseColumnName = "Response", OutputColumnName = "Completion",
            LoraRank = rank, LoraAlpha = 2 * rank, Temperature = (float)temperature, KdWeight = kdWeight,
            LearningRate = (float)learningRate, Epochs = epochs, BatchSize = 16, MaxNewTokens = 48, Seed = seed,
            Precision = precision, Cancellation = cancellation,
        };

        var results = new List<(string Name, double Accuracy, double Seconds)>();
        NeoDistillTransformer? distilled = null;
        foreach (var (name, weight) in new[] { ("LoRA only (KdWeight 0)", 0f), ("LLM-NEO (KdWeight " + kd + ")", (float)kd) })
        {
            var clock = Stopwatch.StartNew();
            var options = Options(weight);
            var losses = new List<string> { "step,loss,ce,kd" };
            var model = console.Train(name, progress =>
            {
                options.Progress = new ProgressCallback<TrainingProgress>(p =>
                {
                    losses.Add(FormattableString.Invariant($"{p.Step},{p.Loss:R},{p.CrossEntropy:R},{p.Divergence:R}"));
                    progress.Report(p);
                });
                return ml.Transforms.NeoDistill(options).Fit(data);
            });
            File.WriteAllLines(Path.Combine(output, weight == 0 ? "losses-lora.csv" : "losses-neo.csv"), losses);
            console.WriteLine($"{name}: student weights {model.Student.WeightDtype}");
            double trainSeconds = clock.Elapsed.TotalSeconds;
            var completions = model.Transform(evalData).GetColumn<string>("Completion").ToList();
            double accuracy = heldOut.Zip(completions).Count(p => AnswerExtractor.Extract(p.Second) == p.First.Answer) / (double)evalCount;
            results.Add((name, accuracy, trainSeconds));
            console.WriteLine($"{name}: {accuracy:P1} after {trainSeconds:F0} s of training " +
                              $"(last step ce {model.TrainingSummary?.CrossEntropy:F3}, kd {model.TrainingSummary?.Divergence:F3})");
            if (weight > 0) distilled = model;
            else model.Dispose();
        }

        console.WriteLine();
        console.WriteLine("| model | exact match |");
        console.WriteLine("|---|---|");
        console.WriteLine($"| teacher | {teacherAccuracy:P1} |");
        console.WriteLine($"| student before | {studentBefore:P1} |");
        foreach (var (name, accuracy, _) in results) console.WriteLine($"| student, {name} | {accuracy:P1} |");

        string zip = Path.Combine(output, "student.zip");
        ml.Model.Save(distilled!, data.Schema, zip);
        var expected = heldOut.Take(3).Select(p => distilled!.Complete(p.Prompt)).ToList();
        distilled!.Dispose();
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
