using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Evaluation;
using Microsoft.ML.Neo.Training;
using Neo.Cli.Benchmarks;
using Neo.Cli.Experiments;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// LLM-NEO's comparison in miniature on the embedded distillation task (noisy, multi-style references; a teacher
/// trained on many clean problems):
///   neo-experiment [--train 2000] [--epochs 3] [--seeds 1,2,3] [--conditions sft,lora,kd-full,neo] [--results F] [--plot F]
/// SFT (every weight, references only) · LoRA (references only) · KD (every weight) · LLM-NEO (LoRA + KD), at equal step
/// budgets, each with every seed: held-out accuracy (mean ± sd), training time, peak memory, and a PNG of held-out loss
/// curves. Optional rows: neo-onpolicy (λ = 0.5), neo-jsd, neo-rkl, neo-tvd, neo-skl. Resumable through the results file.
/// </summary>
internal static class NeoExperimentCommand
{
    private sealed class Row
    {
        public string Prompt { get; set; } = "";
        public string Response { get; set; } = "";
    }

    /// <summary>A row of the table: how the student is trained.</summary>
    private sealed record Condition(string Key, string Name, Finetuning Finetuning, bool Distil, Action<NeoDistillOptions>? Tweak = null);

    private static readonly Condition[] Known =
    {
        new("sft", "SFT (full)", Finetuning.Full, Distil: false),
        new("lora", "LoRA", Finetuning.Lora, Distil: false),
        new("kd-full", "KD (full)", Finetuning.Full, Distil: true),
        new("neo", "LLM-NEO (LoRA + KD)", Finetuning.Lora, Distil: true),
        new("neo-onpolicy", "LLM-NEO, on-policy λ = 0.5", Finetuning.Lora, Distil: true, o => { o.OnPolicyFraction = 0.5f; o.OnPolicyMaxNewTokens = 64; }),
        new("neo-jsd", "LLM-NEO, JSD(0.5)", Finetuning.Lora, Distil: true, o => o.Divergence = Divergence.JensenShannon),
        new("neo-rkl", "LLM-NEO, reverse KL", Finetuning.Lora, Distil: true, o => o.Divergence = Divergence.ReverseKL),
        new("neo-tvd", "LLM-NEO, TVD", Finetuning.Lora, Distil: true, o => o.Divergence = Divergence.TotalVariation),
        new("neo-skl", "LLM-NEO, skew KL (0.1)", Finetuning.Lora, Distil: true, o => o.Divergence = Divergence.SkewedForwardKL),
    };

    public static Command Create()
    {
        var models = With("--models", EmbeddedModels, "Folder with the styled-teacher and styled-student checkpoints.");
        var train = With("--train", 2000, "Training problems (noisy references).");
        var epochs = With("--epochs", 3, "Passes over them.");
        var evalCount = With("--eval", 200, "Held-out problems (clean) for accuracy.");
        var seeds = With("--seeds", "1,2,3", "Comma-separated seeds; each condition runs once per seed.");
        var conditions = With("--conditions", "sft,lora,kd-full,neo", "Rows: " + string.Join(", ", Known.Select(c => c.Key)) + ".");
        var results = With("--results", "neo-results.jsonl", "Results log; finished runs with the same settings are reused.");
        var plot = With("--plot", "neo-experiment.png", "Where to write the learning curves.");
        var rank = With("--rank", 64, "LoRA rank (alpha = 2 × rank).");
        var batch = With("--batch", 16, "Batch size.");
        var kd = With("--kd", 0.5, "KD weight of the distilling rows.");
        var temperature = With("--temperature", 1.0, "KD temperature.");
        var lr = With("--lr", 5e-3, "Learning rate of the LoRA rows.");
        var lrFull = With("--lr-full", 5e-4, "Learning rate of the full-parameter rows.");
        var curveEvery = With("--curve-every", 25, "Steps between points of the held-out loss curve.");
        var command = new Command("neo-experiment",
            "LLM-NEO's comparison (SFT, LoRA, full KD, LLM-NEO) in miniature on the embedded distillation task, over seeds; resumable.")
        {
            models, train, epochs, evalCount, seeds, conditions, results, plot, rank, batch, kd, temperature, lr, lrFull, curveEvery,
        }.WithExample("neo neo-experiment --seeds 1,2,3 --plot docs/images/neo-experiment.png");
        command.SetWork((parse, console, cancellation) =>
        {
            var chosen = parse.GetValue(conditions)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(k => Known.FirstOrDefault(c => c.Key == k) ?? throw new ArgumentException(
                    $"Unknown condition '{k}' in --conditions; known: {string.Join(", ", Known.Select(c => c.Key))}.")).ToList();
            var settings = new Settings(parse.GetValue(train), parse.GetValue(epochs), parse.GetValue(evalCount), parse.GetValue(rank),
                parse.GetValue(batch), parse.GetValue(kd), parse.GetValue(temperature), parse.GetValue(lr), parse.GetValue(lrFull), parse.GetValue(curveEvery));
            return Run(parse.GetValue(models)!, settings, parse.GetValue(seeds)!.Split(',').Select(int.Parse).ToArray(), chosen,
                parse.GetValue(results)!, parse.GetValue(plot)!, cancellation);
        });
        return command;
    }

    private sealed record Settings(int Train, int Epochs, int Eval, int Rank, int Batch, double Kd, double Temperature, double Lr, double LrFull, int CurveEvery)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"task=styled;noise={ReferenceNoise.Embedded.SlipRate}/{ReferenceNoise.Embedded.AnswerOnlyRate};train={Train};epochs={Epochs};eval={Eval};rank={Rank};" +
            $"batch={Batch};kd={Kd};T={Temperature};lr={Lr};lrFull={LrFull};curve={CurveEvery}");
    }

    private static int Run(string models, Settings settings, int[] seeds, List<Condition> conditions, string resultsPath, string plotPath,
        CancellationToken cancellation)
    {
        string teacherPath = Path.Combine(models, "styled-teacher"), studentPath = Path.Combine(models, "styled-student");
        var log = new ExperimentLog(resultsPath, settings.ToString());
        var trainProblems = StyledWordProblems.Generate(settings.Train, EmbeddedRecipes.DistillationSeed, ReferenceNoise.Embedded);
        var heldOut = StyledWordProblems.Generate(settings.Eval, EmbeddedRecipes.EvaluationSeed);
        var monitoring = heldOut.Take(100).Select(p => (p.Prompt, p.Solution)).ToList();
        var ml = new MLContext(seed: 1);
        var trainView = ml.Data.LoadFromEnumerable(trainProblems.Select(p => new Row { Prompt = p.Prompt, Response = p.Solution }).ToList());

        Console.WriteLine($"Teacher {teacherPath}; student {studentPath}; {settings.Train} noisy training problems × {settings.Epochs} epochs, " +
                          $"{settings.Eval} clean held-out problems; seeds {string.Join(",", seeds)}.");
        using (var teacher = CausalLM.FromPretrained(teacherPath))
            Console.WriteLine($"Teacher: {100 * ExactMatchEvaluator.Accuracy(teacher, heldOut):F1} % held-out exact match.");
        using (var student = CausalLM.FromPretrained(studentPath))
            Console.WriteLine($"Student before training: {100 * ExactMatchEvaluator.Accuracy(student, heldOut):F1} %.");

        foreach (var condition in conditions)
        {
            foreach (int seed in seeds)
            {
                if (log.TryGet(condition.Name, seed, out _)) continue;
                var options = new NeoDistillOptions
                {
                    TeacherModelPath = teacherPath, StudentModelPath = studentPath, Finetuning = condition.Finetuning,
                    KdWeight = condition.Distil ? (float)settings.Kd : 0f, Temperature = (float)settings.Temperature,
                    LoraRank = settings.Rank, LoraAlpha = 2 * settings.Rank,
                    LearningRate = (float)(condition.Finetuning == Finetuning.Full ? settings.LrFull : settings.Lr),
                    BatchSize = settings.Batch, Epochs = settings.Epochs, MaxNewTokens = 64, Seed = seed, Cancellation = cancellation,
                };
                condition.Tweak?.Invoke(options);
                var curve = new List<double[]>();
                var hooks = new RunHooks
                {
                    MonitoringRows = monitoring,
                    StopAfter = (p, heldOutLoss) =>
                    {
                        if (p.Step == 1 || p.Step % settings.CurveEvery == 0 || p.Step == p.TotalSteps) curve.Add([p.Step, heldOutLoss()]);
                        return false;
                    },
                };
                // Peak resident memory of this run alone: what earlier runs freed goes back to the OS first.
                ProcessMemory.Trim();
                ProcessMemory.ResetPeak();
                double? before = ProcessMemory.CurrentGiB;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                using var model = ProgressBar.Run($"{condition.Name}, seed {seed}", progress =>
                {
                    options.Progress = progress;
                    return ((NeoDistillEstimator)ml.Transforms.NeoDistill(options)).Fit(trainView, hooks);
                });
                double seconds = model.TrainingSummary?.Elapsed.TotalSeconds ?? clock.Elapsed.TotalSeconds;
                double? peak = ProcessMemory.PeakGiB - before;
                double accuracy = 100 * ExactMatchEvaluator.Accuracy(model.Student, heldOut);
                Console.WriteLine($"{condition.Name}, seed {seed}: {accuracy:F1} % ({seconds:F0} s training, peak +{peak:F2} GiB)");
                log.Add(new ExperimentRun(condition.Name, seed, accuracy, seconds, peak, curve.ToArray()));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| condition | accuracy, mean ± sd over {seeds.Length} seeds | per seed | training time | peak memory above start |");
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
