using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Sweeps;
using Spectre.Console;

namespace Neo.Samples.Commands;

/// <summary>
/// A hyperparameter sweep of NeoDistill on the embedded task (about 10 minutes on 2 cores with the defaults):
///   sweep [--trials 16] [--minutes 10] [--tuner smac|random|grid] [--metric accuracy|loss|perplexity]
///         [--train 2000] [--validation 100] [--test 200] [--log sweep-trials.jsonl] [--plot sweep.png] [--early-stopping]
/// The sweep picks on validation problems; the best configuration and the quickstart's defaults are then both
/// measured on separate test problems, so the reported gain is not the selection's own optimism.
/// </summary>
internal static class SweepCommand
{
    private sealed class Row
    {
        public string Prompt { get; set; } = "";
        public string Response { get; set; } = "";
    }

    public static int Run(CommandLine args)
    {
        string models = args.Get("models", Path.Combine(AppContext.BaseDirectory, "EmbeddedModels"));
        int trials = args.Get("trials", 16), trainCount = args.Get("train", 2000);
        var ml = new MLContext(seed: 1);
        IDataView View(IEnumerable<WordProblem> problems) =>
            ml.Data.LoadFromEnumerable(problems.Select(p => new Row { Prompt = p.Prompt, Response = p.Solution }).ToList());
        var train = View(ArithmeticWordProblems.Generate(trainCount, EmbeddedRecipes.DistillationSeed));
        var validation = View(ArithmeticWordProblems.Generate(args.Get("validation", 100), EmbeddedRecipes.EvaluationSeed + 1));
        var test = View(ArithmeticWordProblems.Generate(args.Get("test", 200), EmbeddedRecipes.EvaluationSeed));

        // The quickstart's settings are the baseline and everything the sweep does not search.
        var defaults = new NeoDistillOptions
        {
            TeacherModelPath = Path.Combine(models, "teacher"), StudentModelPath = Path.Combine(models, "student"),
            LoraRank = 64, LoraAlpha = 128, LearningRate = 5e-3f, Temperature = 1, KdWeight = 0.5f, BatchSize = 16, Epochs = 1,
            MaxNewTokens = 64, Seed = 1,
        };
        var metric = args.Get("metric", "accuracy") switch
        {
            "accuracy" => SweepMetric.AnswerAccuracy,
            "loss" => SweepMetric.ValidationLoss,
            "perplexity" => SweepMetric.Perplexity,
            var other => throw new ArgumentException($"--metric '{other}' is not one of accuracy, loss, perplexity."),
        };
        ISweepTuner tuner = args.Get("tuner", "smac") switch
        {
            "smac" => new SmacTuner(seed: 1),
            "random" => new RandomTuner(seed: 1),
            "grid" => new GridTuner(2),
            var other => throw new ArgumentException($"--tuner '{other}' is not one of smac, random, grid."),
        };
        var space = new NeoSearchSpace
        {
            LoraRank = SearchRange.Int(8, 128, logScale: true), Temperature = SearchRange.Float(0.5, 8, logScale: true),
            KdWeight = SearchRange.Float(0, 0.9), LearningRate = SearchRange.Float(5e-4, 2e-2, logScale: true),
        };
        var experiment = ml.CreateNeoSweepExperiment(defaults)
            .SetDataset(train, validation).SetSearchSpace(space).SetTuner(tuner).SetMetric(metric)
            .SetMaxTrials(trials).SetTrainingTime(TimeSpan.FromMinutes(args.Get("minutes", 10.0)))
            .SetTrialLog(args.Get("log", "sweep-trials.jsonl"));
        if (args.Has("early-stopping")) experiment.SetEarlyStopping();

        Console.WriteLine($"Sweeping {trials} trials with {tuner.Name} on {trainCount} problems; {metric} on the validation problems.");
        NeoSweepResult result = null!;
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("sweep", maxValue: trials);
                experiment.SetProgress(new SweepProgressCallback(p =>
                {
                    if (p.Finished is null)
                    {
                        task.Description = $"trial {p.TrialIndex}/{p.MaxTrials}: {p.Parameters}";
                        return;
                    }
                    task.Value = p.TrialIndex;
                    AnsiConsole.MarkupLine(Markup.Escape($"trial {p.TrialIndex}: {p.Parameters} -> {p.Finished.Metric?.ToString("G4") ?? "-"} ({p.Finished.Status}, {p.Finished.Seconds:F0} s)"));
                }));
                result = experiment.Run();
                task.Value = trials;
            });

        using (result)
        {
            Console.WriteLine();
            Console.WriteLine(result.ToTable());
            string plot = args.Get("plot", "sweep.png");
            result.SavePlot(plot);
            Console.WriteLine($"Plot written to {plot}.");
            Console.WriteLine($"Best (trial {result.BestTrial.Index}): {result.BestTrial.Parameters}");

            Console.WriteLine("Measuring the best configuration and the defaults on the test problems...");
            double best = ml.EvaluateAnswers(result.BestModel.Transform(test)).Accuracy;
            using var baseline = ml.Transforms.NeoDistill(defaults).Fit(train);
            double byDefault = ml.EvaluateAnswers(baseline.Transform(test)).Accuracy;
            Console.WriteLine($"Test accuracy: best {100 * best:F1} %, defaults (rank 64, T 1, kd 0.5, lr 5e-3) {100 * byDefault:F1} %, " +
                              $"gain {100 * (best - byDefault):+0.0;-0.0} points.");
        }
        return 0;
    }

    private sealed class SweepProgressCallback(Action<SweepProgress> report) : IProgress<SweepProgress>
    {
        public void Report(SweepProgress value) => report(value);
    }
}
