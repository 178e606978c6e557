using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Evaluation;

namespace Neo.Samples.Commands;

/// <summary>
/// The quickstart: distils the embedded teacher into the embedded student with NeoDistill, compares exact-match
/// accuracy on held-out problems (teacher, student before, LoRA-only, LLM-NEO), then saves, reloads and uses the zip.
///   quickstart [--models DIR] [--train 16000] [--eval 200] [--epochs 1] [--rank 64] [--lr 0.005] [--temperature 1] [--kd 0.5] [--out quickstart-out]
///              [--precision auto|float32|bfloat16]
/// Each run's per-step losses go to OUT/losses-lora.csv and OUT/losses-neo.csv (step, loss, ce, kd).
/// </summary>
internal static class QuickstartCommand
{
    public static int Run(CommandLine args)
    {
        var total = Stopwatch.StartNew();
        string models = args.Get("models", Path.Combine(AppContext.BaseDirectory, "EmbeddedModels"));
        string teacherPath = Path.Combine(models, "teacher"), studentPath = Path.Combine(models, "student");
        int trainCount = args.Get("train", 16000), evalCount = args.Get("eval", 200);
        string output = args.Get("out", "quickstart-out");
        Directory.CreateDirectory(output);

        var train = ArithmeticWordProblems.Generate(trainCount, EmbeddedRecipes.DistillationSeed);
        var heldOut = ArithmeticWordProblems.Generate(evalCount, EmbeddedRecipes.EvaluationSeed);
        Console.WriteLine($"Task: {trainCount} synthetic GSM8K-style problems to distil on, {evalCount} held out. Example:");
        Console.WriteLine($"  {heldOut[0].Prompt.ReplaceLineEndings(" ")} {heldOut[0].Solution.ReplaceLineEndings(" ")}\n");

        double teacherAccuracy, studentBefore;
        using (var teacher = CausalLM.FromPretrained(teacherPath)) teacherAccuracy = ExactMatchEvaluator.Accuracy(teacher, heldOut);
        using (var student = CausalLM.FromPretrained(studentPath)) studentBefore = ExactMatchEvaluator.Accuracy(student, heldOut);
        Console.WriteLine($"teacher {teacherAccuracy:P1}, student before distillation {studentBefore:P1}  ({total.Elapsed.TotalSeconds:F0} s)");

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(train.Select(p => new PromptResponseRow { Prompt = p.Prompt, Response = p.Solution }));
        var evalData = ml.Data.LoadFromEnumerable(heldOut.Select(p => new PromptResponseRow { Prompt = p.Prompt, Response = p.Solution }));
        NeoDistillOptions Options(float kdWeight) => new()
        {
            TeacherModelPath = teacherPath, StudentModelPath = studentPath,
            PromptColumnName = "Prompt", ResponseColumnName = "Response", OutputColumnName = "Completion",
            LoraRank = args.Get("rank", 64), LoraAlpha = 2 * args.Get("rank", 64), Temperature = (float)args.Get("temperature", 1.0), KdWeight = kdWeight,
            LearningRate = (float)args.Get("lr", 5e-3), Epochs = args.Get("epochs", 1), BatchSize = 16, MaxNewTokens = 48, Seed = 1,
            Precision = Enum.Parse<ComputePrecision>(args.Get("precision", "auto"), ignoreCase: true),
        };

        var results = new List<(string Name, double Accuracy, double Seconds)>();
        NeoDistillTransformer? distilled = null;
        foreach (var (name, weight) in new[] { ("LoRA only (KdWeight 0)", 0f), ("LLM-NEO (KdWeight " + args.Get("kd", 0.5) + ")", (float)args.Get("kd", 0.5)) })
        {
            var clock = Stopwatch.StartNew();
            var options = Options(weight);
            var losses = new List<string> { "step,loss,ce,kd" };
            var model = ProgressBar.Run(name, progress =>
            {
                options.Progress = new ProgressCallback(p =>
                {
                    losses.Add(FormattableString.Invariant($"{p.Step},{p.Loss:R},{p.CrossEntropy:R},{p.Divergence:R}"));
                    progress.Report(p);
                });
                return ml.Transforms.NeoDistill(options).Fit(data);
            });
            Directory.CreateDirectory(output);
            File.WriteAllLines(Path.Combine(output, weight == 0 ? "losses-lora.csv" : "losses-neo.csv"), losses);
            Console.WriteLine($"{name}: student weights {model.Student.WeightDtype}");
            double trainSeconds = clock.Elapsed.TotalSeconds;
            var completions = model.Transform(evalData).GetColumn<string>("Completion").ToList();
            double accuracy = heldOut.Zip(completions).Count(p => AnswerExtractor.Extract(p.Second) == p.First.Answer) / (double)evalCount;
            results.Add((name, accuracy, trainSeconds));
            Console.WriteLine($"{name}: {accuracy:P1} after {trainSeconds:F0} s of training " +
                              $"(last step ce {model.TrainingSummary?.CrossEntropy:F3}, kd {model.TrainingSummary?.Divergence:F3})");
            if (weight > 0) distilled = model;
            else model.Dispose();
        }

        Console.WriteLine();
        Console.WriteLine("| model | exact match |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| teacher | {teacherAccuracy:P1} |");
        Console.WriteLine($"| student before | {studentBefore:P1} |");
        foreach (var (name, accuracy, _) in results) Console.WriteLine($"| student, {name} | {accuracy:P1} |");

        string zip = Path.Combine(output, "student.zip");
        ml.Model.Save(distilled!, data.Schema, zip);
        var expected = heldOut.Take(3).Select(p => distilled!.Complete(p.Prompt)).ToList();
        distilled!.Dispose();
        var fresh = new MLContext();
        var reloaded = fresh.Model.Load(zip, out _);
        var engine = fresh.Model.CreatePredictionEngine<PromptResponseRow, Prediction>(reloaded);
        Console.WriteLine($"\nSaved {zip} ({new FileInfo(zip).Length / 1024} KiB), reloaded in a new MLContext:");
        bool identical = true;
        for (int i = 0; i < 3; i++)
        {
            string completion = engine.Predict(new PromptResponseRow { Prompt = heldOut[i].Prompt }).Completion;
            identical &= completion == expected[i];
            Console.WriteLine($"  Q: {heldOut[i].Question}\n  A: {completion.ReplaceLineEndings(" ")}   (reference {heldOut[i].Answer})");
        }
        Console.WriteLine($"Reloaded completions identical to the trained model's: {identical}");
        Console.WriteLine($"Quickstart finished in {total.Elapsed.TotalSeconds:F0} s.");
        return identical ? 0 : 1;
    }

    private sealed class Prediction
    {
        public string Completion { get; set; } = "";
    }
}
