// Distil a teacher into a student inside an ML.NET pipeline, save the model zip, load it back and predict.
// This is the repository README's snippet as a program you can run:
//   dotnet run --project src/Neo.Samples/DistillInAPipeline [-- --teacher DIR --student DIR --data TRAIN.jsonl --max-steps N --out DIR]
// TEACHER and STUDENT are Hugging Face folders (default: the embedded styled-teacher and styled-student); TRAIN.jsonl
// has one {"prompt": ..., "response": ...} object per line (default: src/Neo.Samples/data/train.jsonl).
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Neo.Samples;

return SampleOptions.Run(args, """
    usage: DistillInAPipeline [options]
      --teacher DIR      the teacher's Hugging Face folder (default: the embedded styled-teacher)
      --student DIR      the student's Hugging Face folder (default: the embedded styled-student)
      --data FILE        JSON lines of {"prompt", "response"} (default: data/train.jsonl, 400 rows)
      --max-steps N      stop after N steps (default 0: one full epoch, 50 steps of 8)
      --out DIR          where student.zip goes (default: samples-out/DistillInAPipeline)
    """, Distil);

static int Distil(SampleOptions settings)
{
    string teacher = settings.ExistingPath("teacher", SampleOptions.Embedded("styled-teacher"));
    string student = settings.ExistingPath("student", SampleOptions.Embedded("styled-student"));
    string trainPath = settings.ExistingPath("data", SampleOptions.Data("train.jsonl"));
    int maxSteps = settings.Number("max-steps", 0);
    string zip = Path.Combine(settings.OutputFolder("DistillInAPipeline"), "student.zip");

    var mlContext = new MLContext(seed: 1);
    var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
    var rows = File.ReadLines(trainPath).Select(line => JsonSerializer.Deserialize<Row>(line, web)!).ToList();
    IDataView trainingData = mlContext.Data.LoadFromEnumerable(rows);

    var options = new NeoDistillOptions
    {
        Teacher = new TeacherModel(teacher), StudentModelPath = student,
        PromptColumnName = "Prompt", ResponseColumnName = "Response", OutputColumnName = "Completion",
        LoraRank = 8, LoraAlpha = 16, Temperature = 2f, KdWeight = 0.5f,
        LearningRate = 2e-3f, Epochs = 1, BatchSize = 8, MaxSteps = maxSteps, MaxNewTokens = 64, Seed = 1,
        // Float32 weights, so the ExportToHuggingFace sample can check its exports against this zip token for token
        // (the default, Auto, trains in bfloat16 where the CPU is fast at it).
        Precision = ComputePrecision.Float32,
        // Progress once every ten steps; ML.NET's own log (mlContext.Log) receives it too.
        Progress = new ConsoleProgress<TrainingProgress>(p => { if (p.Step % 10 == 0 || p.Step == p.TotalSteps) Console.WriteLine(p); }),
    };
    IEstimator<ITransformer> estimator = mlContext.Transforms.NeoDistill(options);
    using (var model = (NeoDistillTransformer)estimator.Fit(trainingData))   // trains the LoRA adapters
    {
        mlContext.Model.Save(model, trainingData.Schema, zip);
    }
    Console.WriteLine($"saved {zip} ({new FileInfo(zip).Length / 1024} KiB)");

    // The zip loads like any ML.NET model; a prediction engine completes prompts one at a time.
    using var loaded = (NeoDistillTransformer)mlContext.Model.Load(zip, out _);
    var engine = mlContext.Model.CreatePredictionEngine<Row, Prediction>(loaded);
    foreach (var row in rows.Take(3))
    {
        Console.WriteLine(row.Prompt);
        Console.WriteLine($"  student:   {engine.Predict(row).Completion.Trim()}");
        Console.WriteLine($"  reference: {row.Response.Trim()}");
    }
    return 0;
}

// Reports on the training thread, so the lines come in order (Progress<T> posts them to the thread pool).
sealed class ConsoleProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

class Row
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";
}

class Prediction
{
    public string Completion { get; set; } = "";
}
