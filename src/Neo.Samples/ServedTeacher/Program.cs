// Distil from a teacher behind an OpenAI-compatible server (vLLM, SGLang, `neo serve`, ...): the student trains
// here, the teacher's top-K logprobs come over HTTP and land in a cache, so a rerun asks only for what is missing.
//   dotnet run --project src/Neo.Samples/ServedTeacher [-- --teacher URL|DIR --student DIR --data TRAIN.jsonl --max-steps N --out DIR]
// The teacher is either a server's URL (http://gpu-box:8000) or a local folder or distilled zip, which this program
// then serves itself with NeoServer on a free loopback port, as a stand-in for a GPU box.
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Server;
using Neo.Samples;

return await SampleOptions.RunAsync(args, """
    usage: ServedTeacher [options]
      --teacher URL|DIR  a server's base URL, or a folder or zip to serve here (default: the embedded styled-teacher)
      --teacher-model ID the served model's id, with a URL (default: teacher)
      --student DIR      the student's Hugging Face folder (default: the embedded styled-student)
      --data FILE        JSON lines of {"prompt", "response"} (default: data/train.jsonl, 400 rows)
      --max-steps N      stop after N steps (default 0: one full epoch, 50 steps of 8)
      --out DIR          where teacher-cache/ and served-student.zip go (default: samples-out/ServedTeacher)
    A server that wants a key reads it from the environment variable TEACHER_API_KEY.
    """, Distil);

static async Task<int> Distil(SampleOptions settings)
{
    string teacher = settings.Text("teacher", SampleOptions.Embedded("styled-teacher"));
    bool remote = teacher.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || teacher.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
    if (!remote) teacher = settings.ExistingPath("teacher", SampleOptions.Embedded("styled-teacher"));
    string student = settings.ExistingPath("student", SampleOptions.Embedded("styled-student"));
    string trainPath = settings.ExistingPath("data", SampleOptions.Data("train.jsonl"));
    int maxSteps = settings.Number("max-steps", 0);
    string output = settings.OutputFolder("ServedTeacher");

    NeoServer? server = null;
    string url = teacher, model = settings.Text("teacher-model", "teacher");
    if (!remote)
    {
        // MaxLogprobs 20 is vLLM's default --max-logprobs: the same limit a real server would set.
        server = await NeoServer.StartAsync(new NeoServerOptions { ModelPath = teacher, Port = 0, ModelId = model, MaxLogprobs = 20 });
        url = server.BaseAddress.ToString();
        Console.WriteLine($"serving {teacher} at {url}");
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
            TeacherCacheDirectory = Path.Combine(output, "teacher-cache"), // every answer lands here (default: CheckpointDirectory + ".teacher-cache")
            TeacherScoreTopK = 20,                                   // prompt_logprobs per position the server allows
            KdWeight = 0.5f, Temperature = 2f, LearningRate = 2e-3f, BatchSize = 8, MaxSteps = maxSteps, Seed = 1,
        };
        using var distilled = (NeoDistillTransformer)mlContext.Transforms.NeoDistill(options).Fit(train);
        Console.WriteLine($"trained: {distilled.TrainingSummary}");
        if (server is not null) Console.WriteLine($"the server answered {server.Statistics.Completions} scoring requests");
        string zip = Path.Combine(output, "served-student.zip");
        mlContext.Model.Save(distilled, train.Schema, zip);
        Console.WriteLine($"saved {zip}");
    }
    finally
    {
        if (server is not null) await server.DisposeAsync();
    }
    return 0;
}

class Row
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";
}
