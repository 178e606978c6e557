using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Training;

namespace Microsoft.ML.Neo.MLNet.ModelZip;

/// <summary>
/// What a <see cref="NeoDistillTransformer"/> needs besides its weights, tokenizer and configs, and all of the options a
/// model zip keeps: the column it reads, the column it writes, how it generates, and the name (not the path) of the
/// folder the student base came from, which PEFT exports write as <c>base_model_name_or_path</c>. Teacher paths,
/// endpoint URLs, cache, checkpoint and data settings never reach a zip. The student's dtype and trainable part are
/// the <see cref="StudentSpec"/>, stored beside this record.
/// </summary>
internal sealed record DistilledModelRecord(string PromptColumnName, string OutputColumnName, GenerationOptions Generation, string? BaseModelName)
{
    /// <summary>The column of the reference responses; null in zips written before it was recorded.</summary>
    public string? ResponseColumnName { get; init; }

    public static DistilledModelRecord From(NeoDistillOptions options) => new(
        options.PromptColumnName, options.OutputColumnName, options.ToGenerationOptions(), FolderName(options.StudentModelPath))
    {
        ResponseColumnName = options.ResponseColumnName,
    };

    // "/models/TinyLlama-1.1B-Chat/" -> "TinyLlama-1.1B-Chat": the part of a path that names the model, not the machine.
    private static string? FolderName(string? path) => string.IsNullOrWhiteSpace(path)
        ? null
        : Path.GetFileName(Path.TrimEndingDirectorySeparator(path.Trim()));

    // JSON of the record (payload version 5; "response_column" is absent from zips written before it was recorded, and
    // older readers ignore it):
    //   {"prompt_column": "Prompt", "response_column": "Response", "output_column": "Completion",
    //    "generation": {"max_new_tokens": 64, "temperature": 0, "top_p": 1, "seed": 1}, "base_model": "student" | null}
    public string ToJson() => new JsonObject
    {
        ["prompt_column"] = PromptColumnName,
        ["response_column"] = ResponseColumnName,
        ["output_column"] = OutputColumnName,
        ["generation"] = new JsonObject
        {
            ["max_new_tokens"] = Generation.MaxNewTokens, ["temperature"] = Generation.Temperature,
            ["top_p"] = Generation.TopP, ["seed"] = Generation.Seed,
        },
        ["base_model"] = BaseModelName,
    }.ToJsonString();

    public static DistilledModelRecord FromJson(string text)
    {
        var json = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException("its model record is not a JSON object");
        var generation = json["generation"] as JsonObject ?? throw new InvalidDataException("its model record has no generation settings");
        var record = new DistilledModelRecord(
            Required(json, "prompt_column"), Required(json, "output_column"),
            new GenerationOptions
            {
                MaxNewTokens = (int?)generation["max_new_tokens"] ?? throw new InvalidDataException("its model record has no max_new_tokens"),
                Temperature = (float?)generation["temperature"] ?? 0f,
                TopP = (float?)generation["top_p"] ?? 1f,
                Seed = (int?)generation["seed"] ?? 1,
            },
            (string?)json["base_model"])
        {
            ResponseColumnName = (string?)json["response_column"] is { Length: > 0 } response ? response : null,
        };
        record.Generation.Validate();
        return record;
    }

    private static string Required(JsonObject json, string key) =>
        (string?)json[key] is { Length: > 0 } value ? value : throw new InvalidDataException($"its model record has no {key}");
}
