using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Sweeps;
using Spectre.Console;

using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// A hyperparameter sweep of NeoDistill on the embedded distillation task (about an hour on 2 cores with the
/// defaults: 16 trials, then the closing comparison over 3 seeds):
///   sweep [--task styled|arithmetic] [--trials 16] [--minutes 60] [--tuner smac|random|grid] [--metric accuracy|loss|perplexity]
///         [--rank 4:128] [--temperature 0.5:8] [--kd 0:1] [--lr 0.0001:0.01] [--epochs MIN:MAX] [--steps N] [--out best.zip]
///         [--divergence A,B] [--jsd-beta 0.1:0.9] [--skew-alpha 0.05:0.5] [--priming A,B] [--priming-template T]
///         [--on-policy MIN:MAX] [--finetuning Lora,Full] [--adapter Lora,Dora,RsLora,Pissa,DoraRsLora] [--teacher-cache DIR]
///         [--train N] [--validation 100] [--test 200] [--seeds 1,2,3] [--log sweep-trials.jsonl] [--plot sweep.png]
///         [--dependence-plot sweep-dependence.png] [--early-stopping]
/// The sweep picks on validation problems; the best configuration, the defaults, LoRA alone and SFT are then measured
/// on separate test problems over several seeds, so the reported gain is neither the selection's own optimism nor one
/// seed's luck.
/// </summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        var taskOption = With("--task", "styled",
            "styled: the distillation task (noisy references; styled-teacher, styled-student); arithmetic: the original task (teacher, student).")
            .AcceptOnlyFromAmong(EmbeddedRecipes.Tasks);
        var teacherOption = Optional<string?>("--teacher", "Teacher folder (default: the task's embedded teacher; its primed teacher when --priming is searched).");
        var studentOption = Optional<string?>("--student", "Student folder (default: the task's embedded student).");
        var dataOption = Optional<string?>("--data", "JSON-lines training data (default: the embedded task's problems).");
        var validationDataOption = Optional<string?>("--validation-data", "JSON-lines validation data (default: the last 10 % of --data).");
        var testDataOption = Optional<string?>("--test-data", "JSON-lines test data for the closing comparison (default: the embedded held-out problems; none with --data).");
        var promptKey = PromptKey("the data files");
        var responseKey = ResponseKey("the data files");
        var answerKey = Optional<string?>("--answer-key", "The reference answer's field in the data files, for GroundTruthWithAnswer priming.");
        var trialsOption = With("--trials", 16, "Most trials.");
        var minutesOption = With("--minutes", 60.0, "Wall-clock budget of the trials in minutes; the trial running when it ends is cancelled.");
        var tunerOption = With("--tuner", "smac", "smac, random or grid.").AcceptOnlyFromAmong("smac", "random", "grid");
        var metricOption = With("--metric", "accuracy", "What to optimise on the validation data: accuracy, loss or perplexity.").AcceptOnlyFromAmong("accuracy", "loss", "perplexity");
        var trainOption = Optional<int?>("--train", "Embedded-task training problems (without --data; default 16000 on the distillation task, the quickstart's, and 2000 on arithmetic).");
        var validationOption = With("--validation", 100, "Embedded-task validation problems (without --data).");
        var testOption = With("--test", 200, "Embedded-task test problems (without --data).");
        var seedsOption = With("--seeds", "1,2,3", "Seeds of the closing comparison on the test data (best, defaults, LoRA alone, SFT); 'none' skips it.");
        var logOption = With("--log", "sweep-trials.jsonl", "Trial log; the same command again resumes the sweep from it.");
        var plotOption = With("--plot", "sweep.png", "PNG plot of the metric per trial, against rank and temperature.");
        var dependenceOption = With("--dependence-plot", "sweep-dependence.png", "PNG with the metric against each searched dimension and its partial dependence.");
        var earlyStoppingOption = With("--early-stopping", false, "Stop trials whose validation loss is worse than the median at the same point.");
        // The searched dimensions: MIN:MAX searches a range (on the scale docs/sweeps.md gives), one value fixes it.
        var space = new NeoSearchSpace();
        var rankOption = With("--rank", Text(space.LoraRank), "LoRA rank: MIN:MAX (integers, log scale) or one value to fix it.");
        var temperatureOption = With("--temperature", Text(space.Temperature), "KD temperature: MIN:MAX (log scale) or one value.");
        var kdOption = With("--kd", Text(space.KdWeight), "KD weight, 0 to 1: MIN:MAX (linear) or one value.");
        var lrOption = With("--lr", Text(space.LearningRate), "Learning rate: MIN:MAX (log scale) or one value.");
        var epochsOption = Optional<string?>("--epochs", "Epochs: MIN:MAX (integers) to search them, or one value (default: 1, not searched).");
        var divergenceOption = Optional<string?>("--divergence", "Divergences to choose among, comma-separated: ForwardKL, ReverseKL, JensenShannon, TotalVariation, SkewedForwardKL, SkewedReverseKL.");
        var jsdBetaOption = With("--jsd-beta", Text(space.JsdBeta), "JSD's β in the JensenShannon trials: MIN:MAX or one value.");
        var skewAlphaOption = With("--skew-alpha", Text(space.SkewAlpha), "The skewed KLs' α in their trials: MIN:MAX (log scale) or one value.");
        var primingOption = Optional<string?>("--priming", "Primings to choose among, comma-separated: None, Teacher, GroundTruth, GroundTruthWithAnswer, Confidence.");
        var primingTemplateOption = new Option<string[]>("--priming-template")
        {
            Description = "A custom priming template to choose among (with {question}, optionally {answer}); repeat for several.",
            AllowMultipleArgumentsPerToken = false, Arity = ArgumentArity.ZeroOrMore,
        };
        var onPolicyOption = Optional<string?>("--on-policy", "On-policy fraction: MIN:MAX (0 to 1) to search it.");
        var warmupOption = Optional<string?>("--warmup", "Warm-up share of the steps: MIN:MAX (0 to 1) to search it.");
        var finetuningOption = Optional<string?>("--finetuning", "Fine-tuning kinds to choose among: Lora, Full (the rank and adapter count only in Lora trials).");
        var adapterOption = Optional<string?>("--adapter", "LoRA variants to choose among: Lora, Dora, RsLora, Pissa, DoraRsLora (DoRA with rsLoRA's scaling).");
        var teacherCacheOption = Optional<string?>("--teacher-cache", "Teacher cache folder shared by every trial: trials with the same teacher settings read it instead of running the teacher.");
        var rankPrimingsOption = With("--rank-primings", false,
            "Instead of a sweep: which priming helps the student. Each --priming candidate (default: every built-in strategy) is scored by the primed teacher's " +
            "answers on the validation prompts and by the student distilled with it.");
        var stepsOption = With("--steps", 0, "Optimizer steps per trial (0: one pass over the training data per epoch).");
        var outOption = Optional<string?>("--out", "Also save the best trial's model as an ML.NET model zip here.");
        var command = new Command("sweep",
            "Sweep NeoDistill's rank, temperature, KD weight and learning rate (and epochs, divergence, priming, on-policy share, fine-tuning and adapter kind) " +
            "with a seeded tuner on the embedded distillation task, then compare the best with the defaults, LoRA alone and SFT over 3 seeds (about an hour on 2 cores).")
        {
            taskOption, teacherOption, studentOption, dataOption, validationDataOption, testDataOption, promptKey, responseKey, answerKey, trialsOption, minutesOption,
            tunerOption, metricOption, trainOption, validationOption, testOption, seedsOption, logOption, plotOption, dependenceOption, earlyStoppingOption,
            rankOption, temperatureOption, kdOption, lrOption, epochsOption, divergenceOption, jsdBetaOption, skewAlphaOption, primingOption, primingTemplateOption,
            onPolicyOption, warmupOption, finetuningOption, adapterOption, teacherCacheOption, rankPrimingsOption, stepsOption, outOption,
        }.WithExample("neo sweep --trials 16 --minutes 10 --rank 8:64 --temperature 1:4 --kd 0.5 --steps 200 --seeds 1 --out best.zip");
        command.SetWork((parse, console, _) =>
        {
            // The ranges and choices are checked before any data is read or any model is loaded.
            var primings = Choices<PrimingStrategy>("--priming", parse.GetValue(primingOption))?.Select(PrimingChoice.Of).ToList();
            var templates = parse.GetValue(primingTemplateOption) ?? Array.Empty<string>();
            if (templates.Length > 0) primings = (primings ?? new List<PrimingChoice>()).Concat(templates.Select(PrimingChoice.Custom)).ToList();
            bool rankPrimings = parse.GetValue(rankPrimingsOption);
            // Ranking primings without a list compares every built-in strategy (Custom needs a template).
            if (rankPrimings) primings ??= Enum.GetValues<PrimingStrategy>().Where(p => p != PrimingStrategy.Custom).Select(PrimingChoice.Of).ToList();
            var searched = new NeoSearchSpace
            {
                LoraRank = Range("--rank", parse.GetValue(rankOption)!, space.LoraRank),
                Temperature = Range("--temperature", parse.GetValue(temperatureOption)!, space.Temperature),
                KdWeight = Range("--kd", parse.GetValue(kdOption)!, space.KdWeight),
                LearningRate = Range("--lr", parse.GetValue(lrOption)!, space.LearningRate),
                Epochs = parse.GetValue(epochsOption) is { } epochs ? Range("--epochs", epochs, SearchRange.Int(1, 3)) : null,
                Divergences = Choices<Divergence>("--divergence", parse.GetValue(divergenceOption)),
                JsdBeta = Range("--jsd-beta", parse.GetValue(jsdBetaOption)!, space.JsdBeta),
                SkewAlpha = Range("--skew-alpha", parse.GetValue(skewAlphaOption)!, space.SkewAlpha),
                Primings = primings,
                OnPolicyFraction = parse.GetValue(onPolicyOption) is { } onPolicy ? Range("--on-policy", onPolicy, SearchRange.Float(0, 1)) : null,
                WarmupFraction = parse.GetValue(warmupOption) is { } warmup ? Range("--warmup", warmup, SearchRange.Float(0, 1)) : null,
                FinetuningKinds = Choices<Finetuning>("--finetuning", parse.GetValue(finetuningOption)),
                AdapterKinds = Choices<AdapterKind>("--adapter", parse.GetValue(adapterOption)),
            };
            searched.Validate();
            // Then the files, before any is read.
            if (parse.GetValue(teacherOption) is { } teacherGiven) ExistingModel("--teacher", teacherGiven);
            if (parse.GetValue(studentOption) is { } studentGiven) ExistingModel("--student", studentGiven);
            foreach (var (flag, file) in new[] { ("--data", parse.GetValue(dataOption)), ("--validation-data", parse.GetValue(validationDataOption)), ("--test-data", parse.GetValue(testDataOption)) })
                if (file is not null) ExistingInput(flag, file, JsonLinesData);
            int steps = parse.GetValue(stepsOption);
            if (steps < 0) throw new UsageException($"--steps must be 0 or more; it is {steps}.");
            var seeds = Seeds(parse.GetValue(seedsOption)!);
            bool styled = parse.GetValue(taskOption) == "styled";
            var ml = new MLContext(seed: 1);
            IDataView View(IEnumerable<PromptResponseRow> rows) => ml.Data.LoadFromEnumerable(rows.ToList());
            string? answerField = parse.GetValue(answerKey);
            List<PromptResponseRow> File(string path) => PromptResponseFile.Read(path, parse.GetValue(promptKey)!, parse.GetValue(responseKey)!, answerKey: answerField, notice: console.WriteLine);

            IDataView train, validation;
            IDataView? test;
            bool answers = answerField is not null;
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
                // The embedded task: noisy references to train on (on the distillation task), clean problems to validate and test on.
                int trainCount = parse.GetValue(trainOption) ?? (styled ? 16000 : 2000);
                train = View(EmbeddedRecipes.DistillationProblems(styled, trainCount).Select(PromptResponseRow.From));
                validation = View(Clean(styled, parse.GetValue(validationOption), EmbeddedRecipes.EvaluationSeed + 1));
                test = View(parse.GetValue(testDataOption) is { } testPath ? File(testPath)
                    : EmbeddedRecipes.HeldOutProblems(styled, parse.GetValue(testOption)).Select(PromptResponseRow.From));
                answers = true;
            }
            string taskTeacher = (styled ? "styled-" : "") + (primings is null ? "teacher" : "teacher-primed");
            var defaults = new NeoDistillOptions
            {
                Teacher = new TeacherModel(ModelPath(parse.GetValue(teacherOption)) ?? Path.Combine(EmbeddedModels, taskTeacher)),
                StudentModelPath = ModelPath(parse.GetValue(studentOption)) ?? Path.Combine(EmbeddedModels, styled ? "styled-student" : "student"),
                AnswerColumnName = answers ? nameof(PromptResponseRow.Answer) : null,
                TeacherCacheDirectory = parse.GetValue(teacherCacheOption),
                MaxSteps = steps,
            };
            if (rankPrimings) return RankPrimings(console, ml, train, validation, Defaults(defaults), primings!, parse.GetValue(logOption)!);
            return Run(console, ml, train, validation, test, defaults, parse.GetValue(trialsOption), parse.GetValue(minutesOption),
                parse.GetValue(tunerOption)!, parse.GetValue(metricOption)!, parse.GetValue(logOption)!, parse.GetValue(plotOption)!,
                parse.GetValue(dependenceOption)!, parse.GetValue(earlyStoppingOption), searched, seeds, parse.GetValue(outOption));
        });
        return command;
    }

    // Clean problems of the task (validation is always clean, as the held-out set is).
    private static IEnumerable<PromptResponseRow> Clean(bool styled, int count, int seed) =>
        (styled ? StyledWordProblems.Generate(count, seed) : ArithmeticWordProblems.Generate(count, seed)).Select(PromptResponseRow.From);

    // "1,2,3" or "none".
    private static List<int> Seeds(string text)
    {
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) return new List<int>();
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var seeds = parts.Select(p => int.TryParse(p, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int s) ? s : (int?)null).ToList();
        if (seeds.Count == 0 || seeds.Any(s => s is null)) throw new UsageException($"--seeds '{text}' is not a list of whole numbers; write e.g. 1,2,3 (or none).");
        if (seeds.Distinct().Count() != seeds.Count) throw new UsageException($"--seeds '{text}' names a seed twice.");
        return seeds.Select(s => s!.Value).ToList();
    }

    // A comma-separated list of enum names (case-insensitive), or null when the option is absent.
    private static List<T>? Choices<T>(string flag, string? text) where T : struct, Enum
    {
        if (text is null) return null;
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new UsageException($"{flag} is empty; give one or more of {string.Join(", ", Enum.GetNames<T>())}.");
        var values = new List<T>();
        foreach (string name in names)
        {
            if (!Enum.TryParse<T>(name, ignoreCase: true, out var value) || !Enum.IsDefined(value) || int.TryParse(name, out _))
                throw new UsageException($"{flag}: '{name}' is not one of {string.Join(", ", Enum.GetNames<T>())}.");
            if (values.Contains(value)) throw new UsageException($"{flag} names {value} twice.");
            values.Add(value);
        }
        return values;
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

    // The quickstart's LLM-NEO settings: the baseline, and everything the sweep does not search.
    private static NeoDistillOptions Defaults(NeoDistillOptions baseOptions)
    {
        var defaults = baseOptions.Clone();
        EmbeddedRecipes.Distillation.ApplyTo(defaults);
        defaults.Epochs = 1;
        defaults.Seed = 1;
        return defaults;
    }

    private static int RankPrimings(CliConsole console, MLContext ml, IDataView train, IDataView validation, NeoDistillOptions defaults,
        IReadOnlyList<PrimingChoice> candidates, string log)
    {
        console.WriteLine($"Ranking {candidates.Count} primings: the primed teacher's answers on the validation prompts, then a student distilled with each.");
        var ranking = ml.RankPrimings(defaults, candidates, train, validation, log,
            new ProgressCallback<SweepProgress>(p => console.WriteLine(p.Finished is null
                ? $"student {p.TrialIndex}/{p.MaxTrials}: priming {p.Parameters.Priming}"
                : $"student {p.TrialIndex}: accuracy {100 * (p.Finished.Metric ?? 0):F1} % ({p.Finished.Status}, {p.Finished.Seconds:F0} s)")));
        console.WriteLine();
        console.WriteLine(PrimingRanking.ToTable(ranking));
        console.WriteResult(new
        {
            ranking = ranking.Select(r => new { priming = r.Priming.ToString(), teacherAccuracy = r.TeacherAccuracy, studentAccuracy = r.StudentAccuracy, studentGain = r.StudentGain }),
            log,
        });
        return ExitCodes.Success;
    }

    private static int Run(CliConsole console, MLContext ml, IDataView train, IDataView validation, IDataView? test, NeoDistillOptions baseOptions,
        int trials, double minutes, string tunerName, string metricName, string log, string plot, string dependencePlot, bool earlyStopping,
        NeoSearchSpace space, IReadOnlyList<int> seeds, string? output)
    {
        var defaults = Defaults(baseOptions);
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
            var dependence = result.PartialDependence();
            bool drawn = dependence.Count > 0;
            if (drawn) result.SaveDependencePlot(dependencePlot);
            console.WriteLine($"Plots written to {plot}{(drawn ? " and " + dependencePlot : "")}.");
            foreach (var d in dependence.Where(d => d.Curve.Count > 0).OrderByDescending(d => d.Spread))
                console.WriteLine($"  {d.Dimension}: partial dependence spans {d.Spread:G3} ({metric})");
            console.WriteLine($"Best (trial {result.BestTrial.Index}): {result.BestTrial.Parameters}");
            if (output is not null)
            {
                ml.Model.Save(result.BestModel, train.Schema, output);
                console.WriteLine($"Best model saved to {output}.");
            }
            List<SweepComparison.Row>? comparison = null;
            if (test is not null && seeds.Count > 0)
            {
                console.WriteLine($"Measuring the best configuration, the defaults, LoRA alone and SFT on the test data, seeds {string.Join(", ", seeds)}...");
                comparison = SweepComparison.Run(ml, train, test, defaults, result.BestTrial.Parameters, result.BestModel, seeds, console.WriteLine);
                console.WriteLine();
                console.WriteLine(SweepComparison.ToTable(comparison, seeds));
                double gain = comparison[0].Mean - comparison[1].Mean, overLora = comparison[0].Mean - comparison[2].Mean;
                console.WriteLine($"Best against the defaults: {100 * gain:+0.0;-0.0} points; against LoRA alone: {100 * overLora:+0.0;-0.0} points (means over the seeds).");
            }
            console.WriteResult(new
            {
                bestTrial = result.BestTrial.Index, bestParameters = result.BestTrial.Parameters.ToString(), bestMetric = result.BestTrial.Metric,
                trials = result.Trials.Count, log, plot, dependencePlot = drawn ? dependencePlot : null, model = output,
                dependence = dependence.Select(d => new { dimension = d.Dimension, spread = d.Spread }),
                comparison = comparison?.Select(r => new { name = r.Name, settings = r.Settings, mean = r.Mean, sd = r.Deviation, perSeed = r.Accuracies }),
            });
        }
        return ExitCodes.Success;
    }
}
