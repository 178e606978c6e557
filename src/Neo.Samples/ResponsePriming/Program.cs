// Response-priming KD: the teacher sees the reference answer (it is "primed") while the student learns from its
// distribution on the plain prompt; then the student is scored on a GSM8K-format file, against where it started.
//   dotnet run --project src/Neo.Samples/ResponsePriming [-- --teacher DIR --student DIR --data TRAIN.jsonl --test TEST.jsonl ...]
// TEACHER: a teacher trained to use a primed prompt (default: the embedded styled-teacher-primed).
// Training rows: --data FILE of {"prompt", "response"} lines, or by default 16,000 problems of the embedded distillation
// task from Microsoft.ML.Neo.Data.Synthetic (the quickstart's; data/train.jsonl holds the first 400). TEST.jsonl: GSM8K
// lines, {"question", "answer": "... #### 42"}.
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Evaluation;
using Neo.Samples;

return SampleOptions.Run(args, """
    usage: ResponsePriming [options]
      --teacher DIR      a teacher that reads primed prompts (default: the embedded styled-teacher-primed)
      --student DIR      the student's Hugging Face folder (default: the embedded styled-student)
      --data FILE        JSON lines of {"prompt", "response"} (default: --rows problems of the embedded distillation task)
      --rows N           how many problems to generate without --data (default 16000: one epoch is 1000 steps of 16)
      --test FILE        GSM8K JSON lines to score on (default: data/test.jsonl, 200 problems)
      --test-rows N      score the first N test problems (default 200)
      --epochs N         passes over the training rows (default 1)
      --max-steps N      stop after N steps (default 0: every epoch)
      --temperature T    KD temperature (default 1; the paper's 5.94 needs far more steps than a sample takes)
      --rank N           LoRA rank (default 64; alpha is twice the rank)
      --lr X             learning rate (default 0.004)
      --batch N          rows per step (default 16)
      --out DIR          where primed-student.zip goes (default: samples-out/ResponsePriming)
    """, Prime);

static int Prime(SampleOptions settings)
{
    string teacher = settings.ExistingPath("teacher", SampleOptions.Embedded("styled-teacher-primed"));
    string student = settings.ExistingPath("student", SampleOptions.Embedded("styled-student"));
    string? trainPath = settings.Text("data") is null ? null : settings.ExistingPath("data", "");
    string testPath = settings.ExistingPath("test", SampleOptions.Data("test.jsonl"));
    int testRows = settings.Number("test-rows", 200), epochs = settings.Number("epochs", 1), maxSteps = settings.Number("max-steps", 0);
    float temperature = settings.Real("temperature", 1f), learningRate = settings.Real("lr", 4e-3f);
    int rank = settings.Number("rank", 64), batch = settings.Number("batch", 16);
    string zip = Path.Combine(settings.OutputFolder("ResponsePriming"), "primed-student.zip");

    var mlContext = new MLContext(seed: 1);
    var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
    // Answer priming needs each row's final answer: the number after "####" in the reference response.
    var rows = trainPath is not null
        ? File.ReadLines(trainPath).Select(line => JsonSerializer.Deserialize<Row>(line, web)!).ToList()
        // The embedded task's training references: noisy (a quarter carry an arithmetic slip), as real ones can be.
        : StyledWordProblems.Generate(settings.Number("rows", 16000), seed: 2000, ReferenceNoise.Embedded)
            .Select(p => new Row { Prompt = p.Prompt, Response = p.Solution }).ToList();
    foreach (var row in rows) row.FinalAnswer = AnswerExtractor.Extract(row.Response)?.ToString() ?? "";
    IDataView train = mlContext.Data.LoadFromEnumerable(rows);
    IDataView test = mlContext.Data.TakeRows(mlContext.Data.LoadGsm8k(testPath), testRows);

    // 1. What the primed teacher writes: the prompt carries the question and its answer (PrimingPrompts has the texts).
    var primed = mlContext.Transforms.NeoTeacherResponses(new NeoTeacherResponseOptions
    {
        Teacher = new TeacherModel(teacher), AnswerColumnName = "FinalAnswer", Priming = PrimingStrategy.GroundTruthWithAnswer, MaxNewTokens = 64,
    }).Fit(train).Transform(mlContext.Data.TakeRows(train, 3));
    foreach (var example in mlContext.Data.CreateEnumerable<Primed>(primed, reuseRowObject: false))
        Console.WriteLine($"{example.Prompt}\n  primed teacher: {example.TeacherResponse.Trim()}");

    // 2. The student before distillation, on the same test problems.
    var problems = Gsm8kLoader.Read(testPath).Take(testRows).ToList();
    using (var untrained = CausalLM.FromPretrained(student))
    {
        string[] completions = untrained.Generate(problems.Select(p => p.Prompt).ToList(), new GenerationOptions { MaxNewTokens = 64 });
        var scored = problems.Zip(completions, (p, completion) => new Scored { Completion = completion, Answer = p.Answer });
        Console.WriteLine($"before distillation: {mlContext.EvaluateAnswers(mlContext.Data.LoadFromEnumerable(scored), "Completion", "Answer")}");
    }

    // 3. Distil: the student trains on the plain prompt against the primed teacher's token distributions.
    var options = new NeoDistillOptions
    {
        Teacher = new TeacherModel(teacher), StudentModelPath = student,
        Priming = PrimingStrategy.GroundTruthWithAnswer, AnswerColumnName = "FinalAnswer",
        Mode = DistillationMode.Logits, KdWeight = 0.5f, Temperature = temperature,
        LoraRank = rank, LoraAlpha = 2 * rank, LearningRate = learningRate, BatchSize = batch, Epochs = epochs, MaxSteps = maxSteps, MaxNewTokens = 64, Seed = 1,
    };
    using var model = (NeoDistillTransformer)mlContext.Transforms.NeoDistill(options).Fit(train);
    Console.WriteLine($"trained: {model.TrainingSummary}");
    mlContext.Model.Save(model, train.Schema, zip);

    // 4. Score on GSM8K-format problems: the number the student ends on against the one after "####".
    var metrics = mlContext.EvaluateAnswers(model.Transform(test), predictionColumnName: "Completion", referenceColumnName: "Answer");
    Console.WriteLine($"after distillation:  {metrics}");
    Console.WriteLine($"saved {zip}");
    return 0;
}

class Row
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";
    public string FinalAnswer { get; set; } = "";
}

class Scored
{
    public string Completion { get; set; } = "";
    public string Answer { get; set; } = "";
}

class Primed
{
    public string Prompt { get; set; } = "";
    public string TeacherResponse { get; set; } = "";
}
