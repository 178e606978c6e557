using System.Globalization;
using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Evaluation;
using Microsoft.ML.Neo.Generation;

using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace PaperExperiments;

/// <summary>
/// The response-priming paper's table, in miniature:
///   PaperExperiments response-priming [--task styled|arithmetic] [--train 16000] [--seeds 1,2,3] [--conditions ...] [--results F] [--plot F]
/// Conditions: no distillation, fine-tune only (KdWeight 0), base KD (no priming), Teacher, Ground Truth, Confidence,
/// and optionally Ground Truth with the answer; each trained with every seed (adapter initialisation and shuffling) and
/// reported as mean ± sd of held-out answer accuracy, with a PNG of held-out loss curves. On the distillation task
/// (styled, the default) the references are noisy and the teacher is styled-teacher-primed; on the original task
/// (arithmetic) they are exact and the teacher is teacher-primed. The teacher's scores go through a top-K cache, so the
/// second and third seeds of a condition do not run the teacher again. Each finished run is appended to the results
/// file, and a rerun skips the runs it already holds, so an interrupted experiment continues where it stopped.
/// </summary>
internal static class ResponsePrimingCommand
{
    private sealed record Condition(string Key, string Name, PrimingStrategy Priming, bool Distil, string Paper);

    // The paper's GSM8K accuracies (Llama-3.1-8B student, 405B teacher), for comparison.
    private static readonly Condition[] Known =
    {
        new("finetune", "fine-tune only", PrimingStrategy.None, Distil: false, Paper: "25.0 %"),
        new("base-kd", "base KD", PrimingStrategy.None, Distil: true, Paper: "30.6 %"),
        new("teacher", "Teacher priming", PrimingStrategy.Teacher, Distil: true, Paper: "42.3 %"),
        new("ground-truth", "Ground Truth priming", PrimingStrategy.GroundTruth, Distil: true, Paper: "48.1 %"),
        new("ground-truth-answer", "Ground Truth + answer", PrimingStrategy.GroundTruthWithAnswer, Distil: true, Paper: "(not in the paper)"),
        new("confidence", "Confidence priming", PrimingStrategy.Confidence, Distil: true, Paper: "34.0 %"),
    };

    public static Command Create()
    {
        var modelsOption = With("--models", EmbeddedModels, "Folder with the task's primed teacher and student checkpoints.");
        var taskOption = With("--task", "styled", "styled: the distillation task (noisy, multi-style references); arithmetic: the original task (exact references).")
            .AcceptOnlyFromAmong(EmbeddedRecipes.Tasks);
        var trainOption = With("--train", 16000, "Training problems (one epoch).");
        var evalOption = With("--eval", 200, "Held-out problems.");
        var seedsOption = With("--seeds", "1,2,3", "Comma-separated seeds; each condition runs once per seed.");
        var conditionsOption = With("--conditions", "finetune,base-kd,teacher,ground-truth,confidence",
            "Rows: " + string.Join(", ", Known.Select(c => c.Key)) + ".");
        var resultsOption = With("--results", Path.Combine(ExperimentLog.OutputFolder, "priming-results.jsonl"), "Results log; finished runs with the same settings are reused.");
        var plotOption = With("--plot", Path.Combine(ExperimentLog.OutputFolder, "priming-experiment.png"), "Where to write the learning curves.");
        var cacheOption = With("--teacher-cache", Path.Combine(ExperimentLog.OutputFolder, "priming-teacher-cache"), "Teacher score cache folder, shared by the seeds of a condition (empty: no cache).");
        var topKOption = With("--top-k", 64, "Teacher logits kept per position in the cache.");
        var rankOption = With("--rank", 64, "LoRA rank.");
        var batchOption = With("--batch", 16, "Batch size.");
        var kdOption = With("--kd", 0.5, "KD weight.");
        var temperatureOption = With("--temperature", 1.0, "Temperature.");
        var lrOption = With("--lr", 2e-3, "Learning rate.");
        var curveOption = With("--curve-every", 50, "Steps between points of the held-out loss curve.");
        var saveOption = Optional<string?>("--save-models", "Folder to save each trained student in as a model zip (CONDITION-seedN.zip), for neo attention; runs reused from --results are not saved.");
        var command = new Command("response-priming",
            "The response-priming paper's table in miniature on an embedded task (mean and sd over seeds; resumable).")
        {
            modelsOption, taskOption, trainOption, evalOption, seedsOption, conditionsOption, resultsOption, plotOption, cacheOption, topKOption,
            rankOption, batchOption, kdOption, temperatureOption, lrOption, curveOption, saveOption,
        }.WithExample("./build.sh sample PaperExperiments response-priming --seeds 1,2,3 --plot docs/images/priming-experiment.png");
        command.SetWork((parse, console, cancellation) =>
        {
            var chosen = parse.GetValue(conditionsOption)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(k => Known.FirstOrDefault(c => c.Key == k) ?? throw new ArgumentException(
                    $"Unknown condition '{k}' in --conditions; known: {string.Join(", ", Known.Select(c => c.Key))}.")).ToList();
            var settings = new Settings(parse.GetValue(taskOption)!, parse.GetValue(trainOption), parse.GetValue(evalOption), parse.GetValue(rankOption),
                parse.GetValue(batchOption), parse.GetValue(kdOption), parse.GetValue(temperatureOption), parse.GetValue(lrOption),
                parse.GetValue(cacheOption) is { Length: > 0 } ? parse.GetValue(topKOption) : 0, parse.GetValue(curveOption));
            return Run(parse.GetValue(modelsOption)!, settings, parse.GetValue(seedsOption)!.Split(',').Select(int.Parse).ToArray(), chosen,
                parse.GetValue(resultsOption)!, parse.GetValue(plotOption)!, parse.GetValue(cacheOption), parse.GetValue(saveOption), cancellation);
        });
        return command;
    }

    /// <param name="TopK">Teacher logits cached per position; 0: no cache (online KD over the full vocabulary).</param>
    private sealed record Settings(string Task, int Train, int Eval, int Rank, int Batch, double Kd, double Temperature, double Lr, int TopK, int CurveEvery)
    {
        public bool Styled => Task == "styled";

        // Runs are reused only under the same settings (the original task's runs keep their earlier tag).
        public override string ToString() =>
            FormattableString.Invariant($"train={Train};eval={Eval};rank={Rank};lr={Lr};kd={Kd};T={Temperature};batch={Batch}") +
            (Styled ? FormattableString.Invariant($";task=styled;noise={ReferenceNoise.Embedded.SlipRate}/{ReferenceNoise.Embedded.AnswerOnlyRate}") : "") +
            (TopK > 0 ? FormattableString.Invariant($";topk={TopK}") : "") + FormattableString.Invariant($";curve={CurveEvery}");
    }

    private static int Run(string models, Settings settings, int[] seeds, List<Condition> conditions, string resultsPath, string plotPath, string? cache,
        string? saveFolder, CancellationToken cancellation)
    {
        string teacherPath = Path.Combine(models, settings.Styled ? "styled-teacher-primed" : "teacher-primed");
        string studentPath = Path.Combine(models, settings.Styled ? "styled-student" : "student");
        if (!Directory.Exists(teacherPath))
            throw new ArgumentException($"The priming teacher {teacherPath} is missing. Make it with: neo make-embedded --role " +
                $"{Path.GetFileName(teacherPath)} --out {teacherPath} (about 20 minutes on 2 cores), or pass --models with a folder that has it.");
        var log = new ExperimentLog(resultsPath, settings.ToString());

        // The styled task trains on noisy references; its Answer column is what each reference says (slips included),
        // the only answer a real dataset with such references would have. Held-out problems are clean.
        var train = EmbeddedRecipes.DistillationProblems(settings.Styled, settings.Train);
        var heldOut = EmbeddedRecipes.HeldOutProblems(settings.Styled, settings.Eval);
        var monitoring = heldOut.Take(100).Select(p => (p.Prompt, p.Solution)).ToList();
        var ml = new MLContext(seed: 1);
        var trainView = ml.Data.LoadFromEnumerable(Rows(train));
        var evalView = ml.Data.LoadFromEnumerable(Rows(heldOut));

        Console.WriteLine($"Teacher {teacherPath}; student {studentPath}; {settings.Train} training ({(settings.Styled ? "noisy" : "exact")} references) " +
                          $"and {settings.Eval} held-out problems; seeds {string.Join(",", seeds)}.");
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

        foreach (var condition in conditions)
        {
            foreach (int seed in seeds)
            {
                if (log.TryGet(condition.Name, seed, out _)) continue;
                var options = new NeoDistillOptions
                {
                    Teacher = new TeacherModel(teacherPath), StudentModelPath = studentPath, AnswerColumnName = "Answer",
                    Priming = condition.Priming, KdWeight = condition.Distil ? (float)settings.Kd : 0f,
                    Temperature = (float)settings.Temperature, LoraRank = settings.Rank, LoraAlpha = 2 * settings.Rank,
                    LearningRate = (float)settings.Lr, BatchSize = settings.Batch, Epochs = 1, MaxNewTokens = 64, Seed = seed, Cancellation = cancellation,
                };
                if (settings.TopK > 0 && condition.Distil)
                {
                    options.TeacherCacheDirectory = cache;
                    options.TeacherScoreTopK = settings.TopK;
                }
                var (model, run) = MeasuredFit.Fit(ml, options, trainView, $"{condition.Name}, seed {seed}", monitoring, settings.CurveEvery,
                    condition.Name, seed, m => 100 * ml.EvaluateAnswers(m.Transform(evalView), "Completion", "Response").Accuracy);
                if (saveFolder is not null)
                {
                    Directory.CreateDirectory(saveFolder);
                    ml.Model.Save(model, trainView.Schema, Path.Combine(saveFolder, $"{condition.Key}-seed{seed}.zip"));
                }
                model.Dispose();
                Console.WriteLine($"{condition.Name}, seed {seed}: {run.Accuracy:F1} % ({run.Seconds:F0} s)");
                log.Add(run);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| condition | accuracy, mean ± sd over {Words.Count(seeds.Length, "seed")} | per seed | paper (GSM8K, 8B student) |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| no distillation | {before:F1} % | (deterministic) | 12.2 % |");
        foreach (var condition in conditions)
        {
            var values = seeds.Select(s => log[condition.Name, s].Accuracy).ToArray();
            Console.WriteLine($"| {condition.Name} | {ExperimentLog.MeanSd(values, " %")} | {ExperimentLog.List(values)} | {condition.Paper} |");
        }
        LearningCurves.Save(plotPath, conditions.Select(c => (c.Name, (IReadOnlyList<double[][]>)seeds.Select(s => log[c.Name, s].Curve ?? []).ToList())).ToList(),
            "Held-out loss (mean over seeds, each seed faint)", "cross-entropy per response token");
        Console.WriteLine($"Learning curves written to {plotPath}.");
        return ExitCodes.Success;
    }

    private static List<PromptResponseRow> Rows(IEnumerable<WordProblem> problems) => problems.Select(PromptResponseRow.From).ToList();
}
