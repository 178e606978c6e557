using System.Globalization;
using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Evaluation;
using Microsoft.ML.Neo.Generation;

using Neo.Cli.Experiments;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// The response-priming paper's table, in miniature, on the embedded task:
///   priming-experiment [--train 8000] [--eval 200] [--seeds 1,2,3] [--results priming-results.jsonl]
///                      [--rank 64] [--lr 5e-3] [--kd 0.5] [--temperature 1] [--batch 16] [--models DIR]
/// Conditions: no distillation, fine-tune only (KdWeight 0), base KD (no priming), Teacher, Ground Truth, Ground Truth
/// with the answer, Confidence; each trained with every seed (adapter initialisation and shuffling) and reported as
/// mean ± sd of held-out answer accuracy. Each finished run is appended to the results file, and a rerun skips the
/// runs it already holds, so an interrupted experiment continues where it stopped.
/// </summary>
internal static class PrimingExperimentCommand
{
    private sealed class Row
    {
        public string Prompt { get; set; } = "";
        public string Response { get; set; } = "";
        public string Answer { get; set; } = "";
    }

    private sealed record Condition(string Name, PrimingStrategy Priming, bool Distil, string Paper);

    // The paper's GSM8K accuracies (Llama-3.1-8B student, 405B teacher), for comparison.
    private static readonly Condition[] Conditions =
    {
        new("fine-tune only", PrimingStrategy.None, Distil: false, Paper: "25.0 %"),
        new("base KD", PrimingStrategy.None, Distil: true, Paper: "30.6 %"),
        new("Teacher priming", PrimingStrategy.Teacher, Distil: true, Paper: "42.3 %"),
        new("Ground Truth priming", PrimingStrategy.GroundTruth, Distil: true, Paper: "48.1 %"),
        new("Ground Truth + answer", PrimingStrategy.GroundTruthWithAnswer, Distil: true, Paper: "(not in the paper)"),
        new("Confidence priming", PrimingStrategy.Confidence, Distil: true, Paper: "34.0 %"),
    };

    public static Command Create()
    {
        var modelsOption = With("--models", EmbeddedModels, "Folder with the teacher-primed and student checkpoints.");
        var trainOption = With("--train", 8000, "Training problems.");
        var evalOption = With("--eval", 200, "Held-out problems.");
        var seedsOption = With("--seeds", "1,2,3", "Comma-separated seeds; each condition runs once per seed.");
        var resultsOption = With("--results", "priming-results.jsonl", "Results log; finished runs with the same settings are reused.");
        var rankOption = With("--rank", 64, "LoRA rank.");
        var batchOption = With("--batch", 16, "Batch size.");
        var kdOption = With("--kd", 0.5, "KD weight.");
        var temperatureOption = With("--temperature", 1.0, "Temperature.");
        var lrOption = With("--lr", 5e-3, "Learning rate.");
        var command = new Command("priming-experiment",
            "The response-priming paper's table in miniature on the embedded task (mean and sd over seeds; resumable).")
        {
            modelsOption, trainOption, evalOption, seedsOption, resultsOption, rankOption, batchOption, kdOption, temperatureOption, lrOption,
        }.WithExample("neo priming-experiment --train 8000 --seeds 1,2,3");
        command.SetWork((parse, console, _) => Run(parse.GetValue(modelsOption)!, parse.GetValue(trainOption), parse.GetValue(evalOption),
            parse.GetValue(seedsOption)!.Split(',').Select(int.Parse).ToArray(), parse.GetValue(resultsOption)!, parse.GetValue(rankOption),
            parse.GetValue(batchOption), parse.GetValue(kdOption), parse.GetValue(temperatureOption), parse.GetValue(lrOption)));
        return command;
    }

    private static int Run(string models, int trainCount, int evalCount, int[] seeds, string resultsPath, int rank, int batch, double kd, double temperature, double lr)
    {
        string teacherPath = Path.Combine(models, "teacher-primed"), studentPath = Path.Combine(models, "student");
        // Runs are reused only under the same settings.
        string settings = FormattableString.Invariant($"train={trainCount};eval={evalCount};rank={rank};lr={lr};kd={kd};T={temperature};batch={batch}");
        var log = new ExperimentLog(resultsPath, settings);

        var train = ArithmeticWordProblems.Generate(trainCount, EmbeddedRecipes.DistillationSeed);
        var heldOut = ArithmeticWordProblems.Generate(evalCount, EmbeddedRecipes.EvaluationSeed);
        var ml = new MLContext(seed: 1);
        var trainView = ml.Data.LoadFromEnumerable(Rows(train));
        var evalView = ml.Data.LoadFromEnumerable(Rows(heldOut));

        Console.WriteLine($"Teacher {teacherPath}; student {studentPath}; {trainCount} training and {evalCount} held-out problems; seeds {string.Join(",", seeds)}.");
        Console.WriteLine("Teacher accuracy on the held-out problems under each priming (the student never sees these prompts):");
        using (var teacher = CausalLM.FromPretrained(teacherPath))
        {
            foreach (var priming in new[] { PrimingStrategy.None, PrimingStrategy.Teacher, PrimingStrategy.GroundTruth, PrimingStrategy.GroundTruthWithAnswer, PrimingStrategy.Confidence })
            {
                var options = new GenerationOptions { MaxNewTokens = 64 };
                int correct = heldOut.Count(p => AnswerExtractor.Extract(teacher.Generate(PrimingPrompts.Render(priming, p.Prompt, p.Answer.ToString()), options)) == p.Answer);
                Console.WriteLine($"  {priming,-22} {100.0 * correct / heldOut.Count,5:F1} %");
            }
        }
        double before;
        using (var student = CausalLM.FromPretrained(studentPath))
        {
            before = 100 * ExactMatchEvaluator.Accuracy(student, heldOut);
            Console.WriteLine($"Student before distillation: {before:F1} % (deterministic, no seeds)");
        }

        foreach (var condition in Conditions)
        {
            foreach (int seed in seeds)
            {
                if (log.TryGet(condition.Name, seed, out _)) continue;
                var options = new NeoDistillOptions
                {
                    TeacherModelPath = teacherPath, StudentModelPath = studentPath, AnswerColumnName = "Answer",
                    Priming = condition.Priming, KdWeight = condition.Distil ? (float)kd : 0f,
                    Temperature = (float)temperature, LoraRank = rank, LoraAlpha = 2 * rank,
                    LearningRate = (float)lr, BatchSize = batch, Epochs = 1, MaxNewTokens = 64, Seed = seed,
                };
                var clock = System.Diagnostics.Stopwatch.StartNew();
                using var model = ProgressBar.Run($"{condition.Name}, seed {seed}", progress =>
                {
                    options.Progress = progress;
                    return ml.Transforms.NeoDistill(options).Fit(trainView);
                });
                var metrics = ml.EvaluateAnswers(model.Transform(evalView), "Completion", "Response");
                double accuracy = 100 * metrics.Accuracy;
                Console.WriteLine($"{condition.Name}, seed {seed}: {accuracy:F1} % ({clock.Elapsed.TotalSeconds:F0} s)");
                log.Add(new ExperimentRun(condition.Name, seed, accuracy, clock.Elapsed.TotalSeconds));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| condition | accuracy, mean ± sd over {seeds.Length} seeds | per seed | paper (GSM8K, 8B student) |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| no distillation | {before:F1} % | (deterministic) | 12.2 % |");
        foreach (var condition in Conditions)
        {
            var values = seeds.Select(s => log[condition.Name, s].Accuracy).ToArray();
            Console.WriteLine($"| {condition.Name} | {ExperimentLog.MeanSd(values, " %")} | {ExperimentLog.List(values)} | {condition.Paper} |");
        }
        return 0;
    }

    private static IEnumerable<Row> Rows(IEnumerable<WordProblem> problems) =>
        problems.Select(p => new Row { Prompt = p.Prompt, Response = p.Solution, Answer = p.Answer.ToString(CultureInfo.InvariantCulture) }).ToList();
}
