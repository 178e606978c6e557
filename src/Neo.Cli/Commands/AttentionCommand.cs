using System.CommandLine;
using Microsoft.ML.Neo.Analysis;

using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// Attention-head analysis of one or more models on the same texts:
///   attention --models A[,B...] [--names a,b] [--data FILE.jsonl | --problems 20 [--task styled|arithmetic]] [--with-responses] [--out attention-out]
/// Writes OUT/attention.md (each head's statistics, and the comparison when there are several models), OUT/maps-NAME.png
/// (the first text's maps per model) and OUT/comparison.png (statistics per head, model beside model).
/// </summary>
internal static class AttentionCommand
{
    public static Command Create()
    {
        var modelsOption = Required<string>("--models", "Models to read, comma-separated: Hugging Face folders, NeoDistill zips or embedded:NAME (the first is the baseline of the comparison).");
        var namesOption = Optional<string?>("--names", "Their names in tables and plots, comma-separated (default: the file or folder names).");
        var dataOption = Optional<string?>("--data", "JSON-lines file of texts to analyse: each row's prompt (and response, with --with-responses).");
        var promptKey = PromptKey("--data");
        var responseKey = ResponseKey("--data");
        var problemsOption = With("--problems", 20, "Without --data: this many held-out problems of the embedded task.");
        var taskOption = With("--task", "styled", "The embedded task of --problems: styled or arithmetic.").AcceptOnlyFromAmong(EmbeddedRecipes.Tasks);
        var responsesOption = With("--with-responses", false, "Analyse each prompt followed by its reference response (default: the prompt alone, as the model reads the question).");
        var outOption = With("--out", "attention-out", "Folder for attention.md and the PNGs.");
        var command = new Command("attention",
            "Attention-head analysis: per layer and head, the attention maps and statistics (entropy, attention to the first and previous token, " +
            "to numbers and operators) of one or more models on the same texts, compared head by head, with heatmaps as PNG.")
        {
            modelsOption, namesOption, dataOption, promptKey, responseKey, problemsOption, taskOption, responsesOption, outOption,
        }.WithExample("neo attention --models embedded:styled-student,student.zip --names base,distilled --problems 20 --out attention-out");
        command.SetWork((parse, console, _) =>
        {
            var paths = parse.GetValue(modelsOption)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(m => ExistingModel("--models", m)).ToList();
            if (paths.Count == 0) throw new UsageException("--models is empty; give one model or more.");
            var names = parse.GetValue(namesOption)?.Split(',', StringSplitOptions.TrimEntries).ToList()
                ?? paths.Select(p => Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(p))).ToList();
            if (names.Count != paths.Count) throw new UsageException($"--names gives {Words.Count(names.Count, "name")} for {Words.Count(paths.Count, "model")}.");
            if (names.Distinct(StringComparer.Ordinal).Count() != names.Count) throw new UsageException("--names names a model twice; give each its own name.");
            bool withResponses = parse.GetValue(responsesOption);
            List<string> texts;
            if (parse.GetValue(dataOption) is { } data)
            {
                texts = PromptResponseFile.Read(ExistingInput("--data", data, JsonLinesData), parse.GetValue(promptKey)!, parse.GetValue(responseKey)!, responseRequired: withResponses, notice: console.WriteLine)
                    .Select(r => withResponses ? r.Prompt + " " + r.Response : r.Prompt).ToList();
            }
            else
            {
                int count = parse.GetValue(problemsOption);
                if (count < 1) throw new UsageException($"--problems must be 1 or more; it is {count}.");
                texts = EmbeddedRecipes.HeldOutProblems(parse.GetValue(taskOption) == "styled", count)
                    .Select(p => withResponses ? p.Prompt + " " + p.Solution : p.Prompt).ToList();
            }
            string output = parse.GetValue(outOption)!;
            Directory.CreateDirectory(output);

            var reports = new List<AttentionReport>();
            for (int i = 0; i < paths.Count; i++)
            {
                console.WriteLine($"Reading {names[i]} ({paths[i]}) on {Words.Count(texts.Count, "text")}...");
                using var source = ModelSource.Open(paths[i], maxNewTokens: 0); // read, not generated from
                reports.Add(AttentionAnalysis.Analyze(source.Model, texts, names[i]));
            }
            var markdown = new System.Text.StringBuilder();
            foreach (var report in reports)
            {
                markdown.AppendLine($"## {report.ModelName}").AppendLine().AppendLine(report.ToTable());
                string maps = Path.Combine(output, $"maps-{Safe(report.ModelName)}.png");
                AttentionPlots.SaveMaps(report, 0, maps);
                console.WriteLine($"  {maps}");
            }
            string? comparison = null;
            if (reports.Count > 1)
            {
                string table = AttentionReport.Compare(reports);
                markdown.Insert(0, "## Comparison\n\n" + table + "\n");
                console.WriteLine();
                console.WriteLine(table);
                comparison = Path.Combine(output, "comparison.png");
                AttentionPlots.SaveComparison(reports, comparison);
                console.WriteLine($"  {comparison}");
            }
            string tablePath = Path.Combine(output, "attention.md");
            File.WriteAllText(tablePath, markdown.ToString());
            console.WriteLine($"Statistics written to {tablePath}.");
            console.WriteResult(new
            {
                texts = texts.Count, table = tablePath, comparison,
                models = reports.Select(r => new
                {
                    name = r.ModelName, layers = r.Layers, heads = r.Heads,
                    means = HeadStatistics.Names.ToDictionary(n => n, n => r.Mean(n)),
                }),
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Safe(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
