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
///         [--rank 4:128] [--temperature 0.5:8] [--kd 0:1] [--lr 0.0001:0.01] [--epochs MIN:MAX] [--steps N] [--out best.zip]
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
        // The searched dimensions: MIN:MAX searches a range (on the scale docs/sweeps.md gives), one value fixes it.
        var space = new NeoSearchSpace();
        var rankOption = With("--rank", Text(space.LoraRank), "LoRA rank: MIN:MAX (integers, log scale) or one value to fix it.");
        var temperatureOption = With("--temperature", Text(space.Temperature), "KD temperature: MIN:MAX (log scale) or one value.");
        var kdOption = With("--kd", Text(space.KdWeight), "KD weight, 0 to 1: MIN:MAX (linear) or one value.");
        var lrOption = With("--lr", Text(space.LearningRate), "Learning rate: MIN:MAX (log scale) or one value.");
        var epochsOption = Optional<string?>("--epochs", "Epochs: MIN:MAX (integers) to search them, or one value (default: 1, not searched).");
        var stepsOption = With("--steps", 0, "Optimizer steps per trial (0: one pass over the training data per epoch).");
        var outOption = Optional<string?>("--out", "Also save the best trial's model as an ML.NET model zip here.");
        var command = new Command("sweep",
            "Sweep NeoDistill's rank, temperature, KD weight and learning rate (and epochs) with a seeded tuner; --out saves the best model.")
        {
            teacherOption, studentOption, dataOption, validationDataOption, testDataOption, promptKey, responseKey, trialsOption, minutesOption,
            tunerOption, metricOption, trainOption, validationOption, testOption, logOption, plotOption, earlyStoppingOption,
            rankOption, temperatureOption, kdOption, lrOption, epochsOption, stepsOption, outOption,
        }.WithExample("neo sweep --trials 16 --minutes 10 --rank 8:64 --temperature 1:4 --kd 0.5 --steps 200 --out best.zip");
        command.SetWork((parse, console, _) =>
        {
            // The ranges are checked before any data is read or any model is loaded.
            var searched = new NeoSearchSpace
            {
                LoraRank = Range("--rank", parse.GetValue(rankOption)!, space.LoraRank),
                Temperature = Range("--temperature", parse.GetValue(temperatureOption)!, space.Temperature),
                KdWeight = Range("--kd", parse.GetValue(kdOption)!, space.KdWeight),
                LearningRate = Range("--lr", parse.GetValue(lrOption)!, space.LearningRate),
                Epochs = parse.GetValue(epochsOption) is { } epochs ? Range("--epochs", epochs, SearchRange.Int(1, 3)) : null,
            };
            searched.Validate();
            int steps = parse.GetValue(stepsOption);
            if (steps < 0) throw new UsageException($"--steps must be 0 or more; it is {steps}.");
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
            return Run(console, ml, train, validation, test, ModelPath(parse.GetValue(teacherOption)) ?? Path.Combine(EmbeddedModels, "teacher"),
                ModelPath(parse.GetValue(studentOption)) ?? Path.Combine(EmbeddedModels, "student"), parse.GetValue(trialsOption), parse.GetValue(minutesOption),
                parse.GetValue(tunerOption)!, parse.GetValue(metricOption)!, parse.GetValue(logOption)!, parse.GetValue(plotOption)!, parse.GetValue(earlyStoppingOption),
                searched, steps, parse.GetValue(outOption));
        });
        return command;
    }

    // A range as the options write it: "MIN:MAX" or one value.
    private static string Text(SearchRange range) => range.IsFixed
        ? range.Min.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{range.Min:G}:{range.Max:G}");

    /// <param name="scale">The dimension's default range, whose scale (integer, logarithmic) the given range takes.</param>
    private static SearchRange Range(string flag, string text, SearchRange scale)
    {
        bool integer = scale.IsInteger;
        var parts = text.Split(':');
        var numbers = parts.Select(p => double.TryParse(p, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) ? v : (double?)null).ToList();
        if (parts.Length is < 1 or > 2 || numbers.Any(n => n is null || !double.IsFinite(n.Value)))
            throw new UsageException($"{flag} '{text}' is not a range; write MIN:MAX (e.g. {(integer ? "8:64" : "0.5:4")}) or one value to fix it.");
        if (integer && numbers.Any(n => n!.Value != Math.Floor(n.Value)))
            throw new UsageException($"{flag} '{text}' must be whole numbers.");
        if (parts.Length == 1) return SearchRange.Fixed(numbers[0]!.Value);
        double min = numbers[0]!.Value, max = numbers[1]!.Value;
        if (min > max) throw new UsageException($"{flag} '{text}': the minimum is above the maximum.");
        return integer ? SearchRange.Int((int)min, (int)max, scale.LogScale) : SearchRange.Float(min, max, scale.LogScale);
    }

    private static int Run(CliConsole console, MLContext ml, IDataView train, IDataView validation, IDataView? test, string teacher, string student,
        int trials, double minutes, string tunerName, string metricName, string log, string plot, bool earlyStopping,
        NeoSearchSpace space, int steps, string? output)
    {
        // The quickstart's settings are the baseline and everything the sweep does not search.
        var defaults = new NeoDistillOptions
        {
            TeacherModelPath = teacher, StudentModelPath = student,
            LoraRank = 64, LoraAlpha = 128, LearningRate = 5e-3f, Temperature = 1, KdWeight = 0.5f, BatchSize = 16, Epochs = 1,
            MaxNewTokens = 64, Seed = 1, MaxSteps = steps,
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
            if (output is not null)
            {
                ml.Model.Save(result.BestModel, train.Schema, output);
                console.WriteLine($"Best model saved to {output}.");
            }
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
                trials = result.Trials.Count, testAccuracyBest = best, testAccuracyDefaults = byDefault, log, plot, model = output,
            });
        }
        return ExitCodes.Success;
    }
}
