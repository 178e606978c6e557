// Response-priming KD: the teacher sees the reference answer (it is "primed") while the student learns from its
// distribution on the plain prompt; then the student is scored on a GSM8K-format file.
//   dotnet run --project src/Neo.Samples/ResponsePriming -- TEACHER STUDENT TRAIN.jsonl TEST.jsonl [MAX_STEPS] [TEST_ROWS]
// TEACHER: a teacher trained to use a primed prompt (embedded: src/Neo.Cli/EmbeddedModels/styled-teacher-primed).
// TRAIN.jsonl: {"prompt", "response"} lines; TEST.jsonl: GSM8K lines, {"question", "answer": "... #### 42"}.
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Evaluation;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: ResponsePriming TEACHER STUDENT TRAIN.jsonl TEST.jsonl [MAX_STEPS] [TEST_ROWS]");
    return 2;
}
string teacher = args[0], student = args[1], trainPath = args[2], testPath = args[3];
int maxSteps = args.Length > 4 ? int.Parse(args[4]) : 0;
int testRows = args.Length > 5 ? int.Parse(args[5]) : 200;

var mlContext = new MLContext(seed: 1);
var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
// Answer priming needs each row's final answer: the number after "####" in the reference response.
var rows = File.ReadLines(trainPath).Select(line => JsonSerializer.Deserialize<Row>(line, web)!).ToList();
foreach (var row in rows) row.FinalAnswer = AnswerExtractor.Extract(row.Response)?.ToString() ?? "";
IDataView train = mlContext.Data.LoadFromEnumerable(rows);

// 1. What the primed teacher writes: the prompt carries the question and its answer (PrimingPrompts has the texts).
var primed = mlContext.Transforms.NeoTeacherResponses(new NeoTeacherResponseOptions
{
    Teacher = new TeacherModel(teacher), AnswerColumnName = "FinalAnswer", Priming = PrimingStrategy.GroundTruthWithAnswer, MaxNewTokens = 64,
}).Fit(train).Transform(mlContext.Data.TakeRows(train, 3));
foreach (var example in mlContext.Data.CreateEnumerable<Primed>(primed, reuseRowObject: false))
    Console.WriteLine($"{example.Prompt}\n  primed teacher: {example.TeacherResponse.Trim()}");

// 2. Distil: the student trains on the plain prompt against the primed teacher's token distributions.
var options = new NeoDistillOptions
{
    Teacher = new TeacherModel(teacher), StudentModelPath = student,
    Priming = PrimingStrategy.GroundTruthWithAnswer, AnswerColumnName = "FinalAnswer",
    Mode = DistillationMode.Logits, KdWeight = 0.39f, Temperature = 5.94f,   // the paper's alpha = 0.61 weighs CE
    LearningRate = 2e-3f, BatchSize = 8, MaxSteps = maxSteps, Seed = 1,
};
using var model = (NeoDistillTransformer)mlContext.Transforms.NeoDistill(options).Fit(train);
Console.WriteLine($"trained: {model.TrainingSummary}");

// 3. Score on GSM8K-format problems: the number the student ends on against the one after "####".
IDataView test = mlContext.Data.TakeRows(mlContext.Data.LoadGsm8k(testPath), testRows);
var metrics = mlContext.EvaluateAnswers(model.Transform(test), predictionColumnName: "Completion", referenceColumnName: "Answer");
Console.WriteLine(metrics);
return 0;

class Row
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";
    public string FinalAnswer { get; set; } = "";
}

class Primed
{
    public string Prompt { get; set; } = "";
    public string TeacherResponse { get; set; } = "";
}
