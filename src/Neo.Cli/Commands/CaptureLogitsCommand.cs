using System.CommandLine;
using Microsoft.ML;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// neo capture-logits: runs a teacher over prompt/response data and writes its top-K log-probabilities at every
/// position as a Parquet dataset (axolotl's or DistillKit's layout), which <c>neo distill --teacher-logits</c> reads.
/// </summary>
internal static class CaptureLogitsCommand
{
    public static Command Create()
    {
        var defaults = new TeacherLogitCaptureOptions();
        var teacher = Optional<string?>("--teacher", "The teacher's Hugging Face folder (embedded:NAME for an embedded model); or use --teacher-url.");
        var teacherUrl = Optional<string?>("--teacher-url", "A served teacher instead: the base URL of an OpenAI-compatible server that returns prompt_logprobs (vLLM, neo serve).");
        var teacherModel = Optional<string?>("--teacher-model", "With --teacher-url: the served model's id (default: the first /v1/models lists).");
        var data = Required<string>("--data", "JSON-lines data: one {\"prompt\": ..., \"response\": ...} object per line.");
        var promptKey = PromptKey();
        var responseKey = ResponseKey();
        var output = With("--out", "teacher-logits.parquet", "The Parquet file to write.");
        var tokenizer = Optional<string?>("--tokenizer", "A folder whose tokenizer turns rows into tokens: the student's, so its run finds the rows (default: the teacher's).");
        var topK = With("--top-k", defaults.TopK, "Ids and log-probabilities kept per position.");
        var layout = With("--layout", defaults.Layout, "Axolotl (target_token_ids, target_logprobs) or DistillKit (compressed_logprobs, bytepacked_indices, exact configuration).");
        var maxLength = With("--max-length", 0, "Most tokens per row (0: the teacher's context); give the run's --max-length so its rows match.");
        var batch = With("--batch", defaults.BatchSize, "Rows scored per teacher pass.");
        var precision = Precision();
        var command = new Command("capture-logits",
            "Score prompt/response data with a teacher and write its top-K log-probabilities as a teacher-logit dataset (distill from it with --teacher-logits).")
        {
            teacher, teacherUrl, teacherModel, data, promptKey, responseKey, output, tokenizer, topK, layout, maxLength, batch, precision,
        }.WithExample("neo capture-logits --teacher ./teacher --data train.jsonl --out teacher-logits.parquet --top-k 64\n" +
            "  neo capture-logits --teacher-url http://gpu-box:8000 --tokenizer ./student --data train.jsonl --top-k 20");
        command.SetWork((parse, console, _) =>
        {
            string? folder = parse.GetValue(teacher), url = parse.GetValue(teacherUrl);
            if ((folder is null) == (url is null))
                throw new UsageException("Give the teacher as a folder (--teacher) or a server (--teacher-url): exactly one.");
            if (url is not null && parse.GetValue(tokenizer) is null)
                throw new UsageException("--teacher-url captures logits in the served teacher's tokens: add --tokenizer FOLDER with its tokenizer files (the student's, when they share one).");
            NeoTeacher source = folder is not null ? new TeacherModel(ModelPath(folder)!) : new TeacherEndpoint { Url = url!, Model = parse.GetValue(teacherModel) };
            var options = new TeacherLogitCaptureOptions
            {
                Teacher = source, OutputPath = parse.GetValue(output)!, TokenizerPath = ModelPath(parse.GetValue(tokenizer)),
                TopK = parse.GetValue(topK), Layout = parse.GetValue(layout), MaxSequenceLength = parse.GetValue(maxLength), BatchSize = parse.GetValue(batch),
                Precision = parse.GetValue(precision),
            };
            // Settings, then files, then the data.
            options.Validate();
            if (folder is not null) ExistingModel("--teacher", folder);
            if (parse.GetValue(tokenizer) is { } tokenizerFolder) ExistingModel("--tokenizer", tokenizerFolder);
            var rows = PromptResponseFile.Read(ExistingInput("--data", parse.GetValue(data)!, JsonLinesData), parse.GetValue(promptKey)!, parse.GetValue(responseKey)!,
                notice: console.WriteLine);
            var ml = new MLContext(seed: 1);
            var result = TeacherLogitCapture.Capture(ml.Data.LoadFromEnumerable(rows), options, console.WriteLine);
            console.WriteLine($"{result.Rows} rows, {result.Positions:N0} positions, {result.Bytes:N0} bytes ({result.Bytes / (double)Math.Max(1, result.Positions):F0} per position) " +
                $"in {parse.GetValue(output)}{(result.SkippedRows > 0 ? $"; {result.SkippedRows} rows left out (the prompt alone fills the context)" : "")}");
            console.WriteResult(new { path = Path.GetFullPath(parse.GetValue(output)!), result.Rows, result.SkippedRows, result.Positions, result.Bytes });
            return ExitCodes.Success;
        });
        return command;
    }
}
