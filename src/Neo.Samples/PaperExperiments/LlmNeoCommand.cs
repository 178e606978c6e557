using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Evaluation;
using Microsoft.ML.Neo.Training;
using Neo.Cli.Measurement;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace PaperExperiments;

/// <summary>
/// LLM-NEO's comparison in miniature on the embedded distillation task (noisy, multi-style references; a teacher
/// trained on many clean problems):
///   PaperExperiments llm-neo [--train 16000] [--epochs 1] [--seeds 1,2,3] [--conditions sft,lora,kd-full,neo] [--results F] [--plot F]
/// SFT (every weight, references only) · LoRA (references only) · KD (every weight) · LLM-NEO (LoRA + KD), at equal step
/// budgets, each with every seed: held-out accuracy (mean ± sd), training time, peak memory, and a PNG of held-out loss
/// curves. Optional rows: neo-onpolicy (λ = 0.5), neo-jsd, neo-rkl, neo-tvd, neo-skl, the any-teacher rows (neo-xtok-*, neo-top64, seqkd, seqkd-verified, seqkd-xtok, neo-self-gt) and the LoRA variants (neo-dora, neo-rslora, neo-pissa). Resumable through the results file.
/// </summary>
internal static class LlmNeoCommand
{
    public static Command Create()
    {
        var models = With("--models", EmbeddedModels, "Folder with the styled-teacher and styled-student checkpoints.");
        var train = With("--train", 16000, "Training problems (noisy references).");
        var epochs = With("--epochs", 1, "Passes over them.");
        var evalCount = With("--eval", 200, "Held-out problems (clean) for accuracy.");
        var seeds = With("--seeds", "1,2,3", "Comma-separated seeds; each condition runs once per seed.");
        var conditions = With("--conditions", NeoCondition.PaperRows, "Rows: " + NeoCondition.KnownKeys + ".");
        var results = With("--results", Path.Combine(ExperimentLog.OutputFolder, "neo-results.jsonl"), "Results log; finished runs with the same settings are reused.");
        var plot = With("--plot", Path.Combine(ExperimentLog.OutputFolder, "neo-experiment.png"), "Where to write the learning curves.");
        var rank = With("--rank", 64, "LoRA rank (alpha = 2 × rank).");
        var batch = With("--batch", 16, "Batch size.");
        var kd = With("--kd", 0.5, "KD weight of the distilling rows.");
        var temperature = With("--temperature", 1.0, "KD temperature.");
        var lr = With("--lr", EmbeddedRecipes.Distillation.LearningRate, "Learning rate of the LoRA rows.");
        var lrFull = With("--lr-full", EmbeddedRecipes.Distillation.LearningRate, "Learning rate of the full-parameter rows.");
        var curveEvery = With("--curve-every", 50, "Steps between points of the held-out loss curve.");
        var cache = With("--cache", Path.Combine(ExperimentLog.OutputFolder, "neo-teacher-cache"), "Teacher cache of the rows that read one (top-64 and sequence KD), shared by their seeds.");
        var command = new Command("llm-neo",
            "LLM-NEO's comparison (SFT, LoRA, full KD, LLM-NEO) in miniature on the embedded distillation task, over seeds; resumable.")
        {
            models, train, epochs, evalCount, seeds, conditions, results, plot, rank, batch, kd, temperature, lr, lrFull, curveEvery, cache,
        }.WithExample("./build.sh sample PaperExperiments llm-neo --seeds 1,2,3 --plot docs/images/neo-experiment.png");
        command.SetWork((parse, console, cancellation) =>
        {
            var chosen = NeoCondition.Parse(parse.GetValue(conditions)!);
            var settings = new Settings(parse.GetValue(train), parse.GetValue(epochs), parse.GetValue(evalCount), parse.GetValue(rank),
                parse.GetValue(batch), parse.GetValue(kd), parse.GetValue(temperature), parse.GetValue(lr), parse.GetValue(lrFull), parse.GetValue(curveEvery));
            return Run(parse.GetValue(models)!, settings, parse.GetValue(seeds)!.Split(',').Select(int.Parse).ToArray(), chosen,
                parse.GetValue(results)!, parse.GetValue(plot)!, parse.GetValue(cache)!, cancellation);
        });
        return command;
    }

    private sealed record Settings(int Train, int Epochs, int Eval, int Rank, int Batch, double Kd, double Temperature, double Lr, double LrFull, int CurveEvery)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"task=styled;noise={ReferenceNoise.Embedded.SlipRate}/{ReferenceNoise.Embedded.AnswerOnlyRate};train={Train};epochs={Epochs};eval={Eval};rank={Rank};" +
            $"batch={Batch};kd={Kd};T={Temperature};lr={Lr};lrFull={LrFull};curve={CurveEvery}");
    }

    private static int Run(string models, Settings settings, int[] seeds, List<NeoCondition> conditions, string resultsPath, string plotPath,
        string teacherCache, CancellationToken cancellation)
    {
        string teacherPath = Path.Combine(models, "styled-teacher"), studentPath = Path.Combine(models, "styled-student");
        var log = new ExperimentLog(resultsPath, settings.ToString());
        var trainProblems = EmbeddedRecipes.DistillationProblems(styled: true, settings.Train);
        var heldOut = EmbeddedRecipes.HeldOutProblems(styled: true, settings.Eval);
        var monitoring = heldOut.Take(100).Select(p => (p.Prompt, p.Solution)).ToList();
        var ml = new MLContext(seed: 1);
        // What the run says about the teacher's answers (answer-verified sequence KD), beside the progress bars.
        ml.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.RawMessage.StartsWith("teacher answers", StringComparison.Ordinal))
                Console.WriteLine(e.RawMessage);
        };
        var trainView = ml.Data.LoadFromEnumerable(trainProblems.Select(PromptResponseRow.From).ToList());

        Console.WriteLine($"Teacher {teacherPath}; student {studentPath}; {settings.Train} noisy training problems × {Words.Count(settings.Epochs, "epoch")}, " +
                          $"{settings.Eval} clean held-out problems; seeds {string.Join(",", seeds)}.");
        using (var teacher = CausalLM.FromPretrained(teacherPath))
            Console.WriteLine($"Teacher: {100 * ExactMatchEvaluator.Accuracy(teacher, heldOut):F1} % held-out exact match.");
        using (var student = CausalLM.FromPretrained(studentPath))
        {
            Console.WriteLine($"Student before training: {100 * ExactMatchEvaluator.Accuracy(student, heldOut):F1} %.");
            if (conditions.Any(c => c.Key == "neo-self-gt"))
            {
                // Self-distillation's teacher: the same base, shown the answer.
                var generation = new GenerationOptions { MaxNewTokens = 64 };
                int correct = heldOut.Count(p => AnswerExtractor.Extract(student.Generate(
                    PrimingPrompts.Render(PrimingStrategy.Custom, p.Prompt, p.Answer.ToString(CultureInfo.InvariantCulture), NeoCondition.SelfDistillationTemplate), generation)) == p.Answer);
                Console.WriteLine($"Student base shown the answer (\"{NeoCondition.SelfDistillationTemplate}\"): {100.0 * correct / heldOut.Count:F1} %.");
            }
        }

        foreach (var condition in conditions)
        {
            foreach (int seed in seeds)
            {
                if (log.TryGet(condition.Name, seed, out _)) continue;
                var options = new NeoDistillOptions
                {
                    Teacher = new TeacherModel(teacherPath), StudentModelPath = studentPath, Temperature = (float)settings.Temperature,
                    LoraRank = settings.Rank, LoraAlpha = 2 * settings.Rank, BatchSize = settings.Batch, Epochs = settings.Epochs, MaxNewTokens = 64, Seed = seed, Cancellation = cancellation,
                };
                condition.ApplyTo(options, settings.Kd, settings.Lr, settings.LrFull, teacherCache);
                var (model, run) = MeasuredFit.Fit(ml, options, trainView, $"{condition.Name}, seed {seed}", monitoring, settings.CurveEvery,
                    condition.Name, seed, m => 100 * ExactMatchEvaluator.Accuracy(m.Student, heldOut));
                model.Dispose();
                Console.WriteLine($"{condition.Name}, seed {seed}: {run.Accuracy:F1} % ({run.Seconds:F0} s training, peak +{run.PeakGiB:F2} GiB)");
                log.Add(run);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| condition | accuracy, mean ± sd over {Words.Count(seeds.Length, "seed")} | per seed | training time | peak memory above start |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var condition in conditions)
        {
            var runs = seeds.Select(s => log[condition.Name, s]).ToList();
            Console.WriteLine($"| {condition.Name} | {ExperimentLog.MeanSd(runs.Select(r => r.Accuracy).ToList(), " %")} | {ExperimentLog.List(runs.Select(r => r.Accuracy))} | " +
                              $"{ExperimentLog.MeanSd(runs.Select(r => r.Seconds).ToList(), " s")} | " +
                              (runs.All(r => r.PeakGiB is not null) ? string.Create(CultureInfo.InvariantCulture, $"{runs.Average(r => r.PeakGiB!.Value) * 1024:F0} MiB") : "n/a") + " |");
        }
        LearningCurves.Save(plotPath, conditions.Select(c => (c.Name, (IReadOnlyList<double[][]>)seeds.Select(s => log[c.Name, s].Curve ?? []).ToList())).ToList(),
            "Held-out loss on clean references (mean over seeds, each seed faint)", "cross-entropy per response token");
        Console.WriteLine($"Learning curves written to {plotPath}.");
        return ExitCodes.Success;
    }
}
