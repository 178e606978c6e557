using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Sweeps;
using Spectre.Console;

using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// A hyperparameter sweep of NeoDistill on the embedded task (about 10 minutes on 2 cores with the defaults):
///   sweep [--trials 16] [--minutes 10] [--tuner smac|random|grid] [--metric accuracy|loss|perplexity]
///         [--train 2000] [--validation 100] [--test 200] [--log sweep-trials.jsonl] [--plot sweep.png] [--early-stopping]
/// The sweep picks on validation problems; the best configuration and the quickstart's defaults are then both
/// measured on separate test problems, so the reported gain is not the selection's own optimism.
/// </summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var teacherOption = Optional<string?>("--teacher", "Teacher folder (default: the embedded teacher, on the embedded task).");
        var studentOption = Optional<string?>("--student", "Student folder (default: the embedded student).");
        var dataOption = Optional<string?>("--data", "JSON-lines training data (default: the embedded task's problems).");
        var validationDataOption = Optional<string?>("--validation-data", "JSON-lines validation data (default: the last 10 % of --data).");
        var testDataOption = Optional<string?>("--test-data", "JSON-lines test data for the closing comparison (default: the embedded held-out problems; none with --data).");
        var promptKey = With("--prompt-key", "prompt", "The prompt's field name in the data files.");
        var responseKey = With("--response-key", "response", "The response's field name in the data files.");
        var trialsOption = With("--trials", 16, "Most trials.");
        var minutesOption = With("--minutes", 10.0, "Wall-clock budget in minutes; the trial running when it ends is cancelled.");
        var tunerOption = With("--tuner", "smac", "smac, random or grid.").AcceptOnlyFromAmong("smac", "random", "grid");
        var metricOption = With("--metric", "accuracy", "What to optimise on the validation data: accuracy, loss or perplexity.").AcceptOnlyFromAmong("accuracy", "loss", "perplexity");
        var trainOption = With("--train", 2000, "Embedded-task training problems (without --data).");
        var validationOption = With("--validation", 100, "Embedded-task validation problems (without --data).");
        var testOption = With("--test", 200, "Embedded-task test problems (without --data).");
        var logOption = With("--log", "sweep-trials.jsonl", "Trial log; the same command again resumes the sweep from it.");
        var plotOption = With("--plot", "sweep.png", "PNG plot of the metric per trial, against rank and temperature.");
        var earlyStoppingOption = With("--early-stopping", false, "Stop trials whose validation loss is worse than the median at the same point.");
        var command = new Command("sweep",
            "Sweep NeoDistill's rank, temperature, KD weight and learning rate with a seeded tuner, and keep the best model.")
        {
            teacherOption, studentOption, dataOption, validationDataOption, testDataOption, promptKey, responseKey, trialsOption, minutesOption,
            tunerOption, metricOption, trainOption, validationOption, testOption, logOption, plotOption, earlyStoppingOption,
        }.WithExample("neo sweep --trials 16 --minutes 10 --tuner smac --metric accuracy");
        command.SetWork((parse, console, _) =>
        {
            var ml = new MLContext(seed: 1);
            IDataView View(IEnumerable<PromptResponseRow> rows) => ml.Data.LoadFromEnumerable(rows.ToList());
            IEnumerable<PromptResponseRow> Problems(int count, int seed) =>
                ArithmeticWordProblems.Generate(count, seed).Select(PromptResponseRow.From);
            List<PromptResponseRow> File(string path) => PromptResponseFile.Read(path, parse.GetValue(promptKey)!, parse.GetValue(responseKey)!);

            IDataView train, validation;
            IDataView? test;
            if (parse.GetValue(dataOption) is { } dataPath)
            {
                var rows = File(dataPath);
                if (parse.GetValue(validationDataOption) is { } validationPath)
                {
                    (train, validation) = (View(rows), View(File(validationPath)));
                }
                else
                {
                    int held = Math.Max(1, rows.Count / 10);
                    if (rows.Count - held < 1) throw new UsageException($"{dataPath} has {rows.Count} rows: too few to hold out validation rows; pass --validation-data.");
                    (train, validation) = (View(rows.Take(rows.Count - held)), View(rows.Skip(rows.Count - held)));
                }
                test = parse.GetValue(testDataOption) is { } testPath ? View(File(testPath)) : null;
            }
            else
            {
                train = View(Problems(parse.GetValue(trainOption), EmbeddedRecipes.DistillationSeed));
                validation = View(Problems(parse.GetValue(validationOption), EmbeddedRecipes.EvaluationSeed + 1));
                test = View(parse.GetValue(testDataOption) is { } testPath ? File(testPath) : Problems(parse.GetValue(testOption), EmbeddedRecipes.EvaluationSeed));
            }
            return Run(console, ml, train, validation, test, parse.GetValue(teacherOption) ?? Path.Combine(EmbeddedModels, "teacher"),
                parse.GetValue(studentOption) ?? Path.Combine(EmbeddedModels, "student"), parse.GetValue(trialsOption), parse.GetValue(minutesOption),
                parse.GetValue(tunerOption)!, parse.GetValue(metricOption)!, parse.GetValue(logOption)!, parse.GetValue(plotOption)!, parse.GetValue(earlyStoppingOption));
        });
        return command;
    }

    private static int Run(CliConsole console, MLContext ml, IDataView train, IDataView validation, IDataView? test, string teacher, string student,
        int trials, double minutes, string tunerName, string metricName, string log, string plot, bool earlyStopping)
    {
        // The quickstart's settings are the baseline and everything the sweep does not search.
        var defaults = new NeoDistillOptions
        {
            TeacherModelPath = teacher, StudentModelPath = student,
            LoraRank = 64, LoraAlpha = 128, LearningRate = 5e-3f, Temperature = 1, KdWeight = 0.5f, BatchSize = 16, Epochs = 1,
            MaxNewTokens = 64, Seed = 1,
        };
        var metric = metricName switch
        {
            "accuracy" => SweepMetric.AnswerAccuracy,
            "loss" => SweepMetric.ValidationLoss,
            "perplexity" => SweepMetric.Perplexity,
            var other => throw new ArgumentException($"--metric '{other}' is not one of accuracy, loss, perplexity."),
        };
        ISweepTuner tuner = tunerName switch
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
            .SetMaxTrials(trials).SetTrainingTime(TimeSpan.FromMinutes(minutes))
            .SetTrialLog(log);
        if (earlyStopping) experiment.SetEarlyStopping();

        console.WriteLine($"Sweeping {trials} trials with {tuner.Name}; {metric} on the validation data.");
        string Finished(SweepProgress p) =>
            $"trial {p.TrialIndex}: {p.Parameters} -> {p.Finished!.Metric?.ToString("G4") ?? "-"} ({p.Finished.Status}, {p.Finished.Seconds:F0} s)";
        NeoSweepResult result = null!;
        if (console.Interactive)
        {
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("sweep", maxValue: trials);
                    experiment.SetProgress(new ProgressCallback<SweepProgress>(p =>
                    {
                        if (p.Finished is null)
                        {
                            task.Description = $"trial {p.TrialIndex}/{p.MaxTrials}: {p.Parameters}";
                            return;
                        }
                        task.Value = p.TrialIndex;
                        AnsiConsole.MarkupLine(Markup.Escape(Finished(p)));
                    }));
                    result = experiment.Run();
                    task.Value = trials;
                });
        }
        else
        {
            experiment.SetProgress(new ProgressCallback<SweepProgress>(p => console.WriteLine(p.Finished is null ? $"trial {p.TrialIndex}/{p.MaxTrials}: {p.Parameters}" : Finished(p))));
            result = experiment.Run();
        }

        using (result)
        {
            console.WriteLine();
            console.WriteLine(result.ToTable());
            result.SavePlot(plot);
            console.WriteLine($"Plot written to {plot}.");
            console.WriteLine($"Best (trial {result.BestTrial.Index}): {result.BestTrial.Parameters}");
            double? best = null, byDefault = null;
            if (test is not null)
            {
                console.WriteLine("Measuring the best configuration and the defaults on the test data...");
                best = ml.EvaluateAnswers(result.BestModel.Transform(test)).Accuracy;
                using var baseline = ml.Transforms.NeoDistill(defaults).Fit(train);
                byDefault = ml.EvaluateAnswers(baseline.Transform(test)).Accuracy;
                console.WriteLine($"Test accuracy: best {100 * best:F1} %, defaults (rank 64, T 1, kd 0.5, lr 5e-3) {100 * byDefault:F1} %, " +
                                  $"gain {100 * (best - byDefault):+0.0;-0.0} points.");
            }
            console.WriteResult(new
            {
                bestTrial = result.BestTrial.Index, bestParameters = result.BestTrial.Parameters.ToString(), bestMetric = result.BestTrial.Metric,
                trials = result.Trials.Count, testAccuracyBest = best, testAccuracyDefaults = byDefault, log, plot,
            });
        }
        return ExitCodes.Success;
    }
}
