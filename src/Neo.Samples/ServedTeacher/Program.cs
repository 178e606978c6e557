// Distil from a teacher behind an OpenAI-compatible server (vLLM, SGLang, `neo serve`, ...): the student trains
// here, the teacher's top-K logprobs come over HTTP and land in a cache, so a rerun asks only for what is missing.
//   dotnet run --project src/Neo.Samples/ServedTeacher -- TEACHER STUDENT TRAIN.jsonl [MAX_STEPS]
// TEACHER is either a server's URL (http://gpu-box:8000) or a local folder or distilled zip, which this program then
// serves itself with NeoServer on a free loopback port, as a stand-in for a GPU box.
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Server;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: ServedTeacher TEACHER STUDENT TRAIN.jsonl [MAX_STEPS]");
    return 2;
}
string teacher = args[0], student = args[1], trainPath = args[2];
int maxSteps = args.Length > 3 ? int.Parse(args[3]) : 0;

NeoServer? server = null;
string url = teacher, model = "teacher";
if (!teacher.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !teacher.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
{
    // MaxLogprobs 20 is vLLM's default --max-logprobs: the same limit a real server would set.
    server = await NeoServer.StartAsync(new NeoServerOptions { ModelPath = teacher, Port = 0, ModelId = model, MaxLogprobs = 20 });
    url = server.BaseAddress.ToString();
    Console.WriteLine($"serving {teacher} at {url}");
}
else
{
    model = Environment.GetEnvironmentVariable("TEACHER_MODEL") ?? model;   // the served model's name
}

try
{
    var mlContext = new MLContext(seed: 1);
    var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
    var rows = File.ReadLines(trainPath).Select(line => JsonSerializer.Deserialize<Row>(line, web)!).ToList();
    IDataView train = mlContext.Data.LoadFromEnumerable(rows);
    var options = new NeoDistillOptions
    {
        StudentModelPath = student,
        Teacher = new TeacherEndpoint                            // the served model is the teacher
        {
            Url = url, Model = model,
            // The variable's name, when the server wants a key: the key itself never reaches a zip, cache or log.
            ApiKeyEnvironmentVariable = Environment.GetEnvironmentVariable("TEACHER_API_KEY") is null ? null : "TEACHER_API_KEY",
            MaxConcurrency = 4,
        },
        TeacherCacheDirectory = "teacher-cache",                 // every answer lands here (default: CheckpointDirectory + ".teacher-cache")
        TeacherScoreTopK = 20,                                   // prompt_logprobs per position the server allows
        KdWeight = 0.5f, Temperature = 2f, LearningRate = 2e-3f, BatchSize = 8, MaxSteps = maxSteps, Seed = 1,
    };
    using var distilled = (NeoDistillTransformer)mlContext.Transforms.NeoDistill(options).Fit(train);
    Console.WriteLine($"trained: {distilled.TrainingSummary}");
    if (server is not null) Console.WriteLine($"the server answered {server.Statistics.Completions} scoring requests");
    mlContext.Model.Save(distilled, train.Schema, "served-student.zip");
    Console.WriteLine("saved served-student.zip");
}
finally
{
    if (server is not null) await server.DisposeAsync();
}
return 0;

class Row
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";
}
