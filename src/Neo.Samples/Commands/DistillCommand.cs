using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Neo;

namespace Neo.Samples.Commands;

/// <summary>
/// Distils between two Hugging Face folders given on the command line, on a JSON-lines file of prompt/response pairs:
///   distill --teacher DIR --student DIR --data train.jsonl [--prompt-key prompt] [--response-key response]
///           [--out student.zip] [--export-hf DIR] [--export-peft DIR] [--rank 8] [--alpha 16] [--kd 0.5]
///           [--temperature 2] [--lr 2e-4] [--epochs 1] [--batch 8] [--max-steps 0] [--checkpoints DIR]
///           [--precision auto|float32|bfloat16] [--loss-chunk 1024] [--result-json FILE]
/// --result-json writes the run's measurements (steady tokens/s, time split, peak memory) for bench-distill.
/// </summary>
internal static class DistillCommand
{
    public static int Run(CommandLine args)
    {
        string data = args.Get("data", "");
        if (!File.Exists(data))
        {
            Console.Error.WriteLine($"distill: data file '{data}' not found; pass --data <file.jsonl> with one JSON object per line.");
            return 2;
        }
        var rows = ReadJsonLines(data, args.Get("prompt-key", "prompt"), args.Get("response-key", "response"));
        Console.WriteLine($"{rows.Count} prompt/response pairs from {data}");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ml = new MLContext(seed: 1);
        var options = new NeoDistillOptions
        {
            TeacherModelPath = args.Get("teacher", ""), StudentModelPath = args.Get("student", ""),
            LoraRank = args.Get("rank", 8), LoraAlpha = (float)args.Get("alpha", 16.0), KdWeight = (float)args.Get("kd", 0.5),
            Temperature = (float)args.Get("temperature", 2.0), LearningRate = (float)args.Get("lr", 2e-4),
            Epochs = args.Get("epochs", 1), BatchSize = args.Get("batch", 8), MaxSteps = args.Get("max-steps", 0),
            MaxNewTokens = args.Get("max-new-tokens", 64), CheckpointDirectory = args.Has("checkpoints") ? args.Get("checkpoints", "") : null,
            Precision = Enum.Parse<ComputePrecision>(args.Get("precision", "auto"), ignoreCase: true),
            LossChunkSize = args.Get("loss-chunk", new NeoDistillOptions().LossChunkSize),
        };
        var trainingData = ml.Data.LoadFromEnumerable(rows);
        var recorder = new PhaseRecorder(skip: 1);
        using var model = ProgressBar.Run("distilling", progress =>
        {
            options.Progress = new ProgressCallback(p =>
            {
                recorder.Report(p);
                progress.Report(p);
            });
            return ml.Transforms.NeoDistill(options).Fit(trainingData);
        });
        Console.WriteLine($"last step: {model.TrainingSummary}; student weights {model.Student.WeightDtype}");
        if (recorder.Reports.Count > 1)
        {
            var measured = recorder.Measure();
            Console.WriteLine(RunMeasurement.Header);
            Console.WriteLine(measured.Row($"{options.Precision} ({model.Student.WeightDtype}), steps 2-{recorder.Reports.Count}"));
            if (args.Has("result-json")) File.WriteAllText(args.Get("result-json", ""), JsonSerializer.Serialize(measured));
        }
        double training = model.TrainingSummary?.Elapsed.TotalSeconds ?? 0;
        Console.WriteLine($"loading took {clock.Elapsed.TotalSeconds - training:F0} s, training {training:F0} s" +
            (ProcessMemory.PeakGiB is double peak ? $"; peak memory so far {peak:F2} GiB" : ""));

        string zip = args.Get("out", "student.zip");
        ml.Model.Save(model, trainingData.Schema, zip);
        Console.WriteLine($"saved {zip}");
        if (args.Has("export-hf"))
        {
            model.ExportHuggingFace(args.Get("export-hf", ""));
            Console.WriteLine($"merged student written to {args.Get("export-hf", "")}");
        }
        if (args.Has("export-peft"))
        {
            model.ExportPeftAdapters(args.Get("export-peft", ""));
            Console.WriteLine($"PEFT adapters written to {args.Get("export-peft", "")}");
        }
        Console.WriteLine($"sample completion of the first prompt: {model.Complete(rows[0].Prompt)}");
        return 0;
    }

    private static List<PromptResponseRow> ReadJsonLines(string path, string promptKey, string responseKey)
    {
        var rows = new List<PromptResponseRow>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var document = JsonDocument.Parse(line);
            string Field(string key) => document.RootElement.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw new InvalidDataException($"{path}:{lineNumber}: no string field '{key}'.");
            rows.Add(new PromptResponseRow { Prompt = Field(promptKey), Response = Field(responseKey) });
        }
        return rows;
    }
}
