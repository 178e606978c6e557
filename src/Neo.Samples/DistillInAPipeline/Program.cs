// Distil a teacher into a student inside an ML.NET pipeline, save the model zip, load it back and predict.
// This is the repository README's snippet as a program you can run:
//   dotnet run --project src/Neo.Samples/DistillInAPipeline -- TEACHER STUDENT TRAIN.jsonl [MAX_STEPS]
// TEACHER and STUDENT are Hugging Face folders (the embedded ones: src/Neo.Cli/EmbeddedModels/styled-teacher and
// styled-student); TRAIN.jsonl has one {"prompt": ..., "response": ...} object per line (src/Neo.Samples/data/train.jsonl).
// MAX_STEPS stops training early (0, the default: one full epoch).
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Neo;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: DistillInAPipeline TEACHER STUDENT TRAIN.jsonl [MAX_STEPS]");
    return 2;
}
string teacher = args[0], student = args[1], trainPath = args[2];
int maxSteps = args.Length > 3 ? int.Parse(args[3]) : 0;

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
    // Progress once every ten steps; ML.NET's own log (mlContext.Log) receives it too.
    Progress = new ConsoleProgress<TrainingProgress>(p => { if (p.Step % 10 == 0 || p.Step == p.TotalSteps) Console.WriteLine(p); }),
};
IEstimator<ITransformer> estimator = mlContext.Transforms.NeoDistill(options);
using (var model = (NeoDistillTransformer)estimator.Fit(trainingData))   // trains the LoRA adapters
{
    mlContext.Model.Save(model, trainingData.Schema, "student.zip");
}
Console.WriteLine($"saved student.zip ({new FileInfo("student.zip").Length / 1024} KiB)");

// The zip loads like any ML.NET model; a prediction engine completes prompts one at a time.
using var loaded = (NeoDistillTransformer)mlContext.Model.Load("student.zip", out _);
var engine = mlContext.Model.CreatePredictionEngine<Row, Prediction>(loaded);
foreach (var row in rows.Take(3))
{
    Console.WriteLine(row.Prompt);
    Console.WriteLine($"  student:   {engine.Predict(row).Completion.Trim()}");
    Console.WriteLine($"  reference: {row.Response.Trim()}");
}
return 0;

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
