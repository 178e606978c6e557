using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Evaluation;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// neo evaluate: GSM8K-style answer accuracy of a model zip or folder: the final number of each completion against the
/// reference response's (a full solution ending in "#### n" or a bare number).
/// </summary>
internal static class EvaluateCommand
{
    private sealed class Scored
    {
        public string Completion { get; set; } = "";
        public string Response { get; set; } = "";
    }

    public static Command Create()
    {
        var model = Required<string>("--model", "A model zip saved by NeoDistill, or a Hugging Face folder.");
        var data = Optional<string?>("--data", "JSON-lines test data with prompts and reference responses (default: the embedded task's held-out problems).");
        var promptKey = PromptKey();
        var responseKey = ResponseKey();
        var limit = With("--limit", 200, "Evaluate at most this many rows (the embedded task generates this many).");
        var batch = With("--batch", 16, "Prompts decoded together (1: one at a time); the answers are the same either way.");
        var maxNewTokens = With("--max-new-tokens", 64, "Most tokens to generate, for a folder (a zip uses the length it was trained with).");
        var command = new Command("evaluate",
            "Measure the answer accuracy of a model on prompts with reference answers.")
        {
            model, data, promptKey, responseKey, limit, batch, maxNewTokens,
        }.WithExample("neo evaluate --model student.zip --data test.jsonl --limit 500");
        command.SetWork((parse, console, cancellation) =>
        {
            int count = parse.GetValue(limit), batchSize = parse.GetValue(batch);
            if (count < 1) throw new UsageException("--limit must be 1 or more.");
            if (batchSize is < 1 or > 1024) throw new UsageException("--batch must be between 1 and 1024.");
            string modelPath = ExistingModel("--model", parse.GetValue(model)!);
            var rows = parse.GetValue(data) is { } path
                ? PromptResponseFile.Read(ExistingInput("--data", path, JsonLinesData + " with reference responses"), parse.GetValue(promptKey)!, parse.GetValue(responseKey)!, notice: console.WriteLine).Take(count).ToList()
                : ArithmeticWordProblems.Generate(count, EmbeddedRecipes.EvaluationSeed).Select(PromptResponseRow.From).ToList();
            using var source = ModelSource.Open(modelPath, parse.GetValue(maxNewTokens));
            var scored = new List<Scored>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            // Blocks of rows, for progress and Ctrl+C between them; each block is decoded batchSize prompts at a time.
            foreach (var block in rows.Chunk(Math.Max(50, batchSize * 4)))
            {
                cancellation.ThrowIfCancellationRequested();
                var completions = batchSize == 1 ? block.Select(r => source.Complete(r.Prompt)).ToArray() : source.Complete(block.Select(r => r.Prompt).ToList(), batchSize);
                scored.AddRange(block.Zip(completions, (row, completion) => new Scored { Completion = completion, Response = row.Response }));
                if (!console.Json) console.WriteLine($"evaluated {scored.Count}/{rows.Count} ({clock.Elapsed.TotalSeconds:F0} s)");
            }
            var ml = new MLContext();
            var metrics = AnswerAccuracyEvaluator.Evaluate(ml.Data.LoadFromEnumerable(scored), nameof(Scored.Completion), nameof(Scored.Response));
            console.WriteLine(metrics.ToString());
            console.WriteResult(new
            {
                metrics.Accuracy, metrics.Correct, metrics.Evaluated, metrics.ExtractionFailures, metrics.SkippedRows,
                seconds = clock.Elapsed.TotalSeconds, batch = batchSize,
            });
            return ExitCodes.Success;
        });
        return command;
    }
}
