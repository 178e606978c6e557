// A sweep over LoRA rank and KD temperature, shaped like ML.NET's AutoML experiments: a search space, a tuner, a
// metric and a budget; then the table of trials, a plot, and the best model as an ordinary ITransformer.
//   dotnet run --project src/Neo.Samples/SweepRankAndTemperature [-- --teacher DIR --student DIR --data TRAIN.jsonl ...]
// Each trial trains on --data FILE, or by default on problems of the embedded distillation task from its generator
// (Microsoft.ML.Neo.Data.Synthetic), and is scored on clean held-out problems of a GSM8K file (data/test.jsonl).
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Sweeps;
using Neo.Samples;

return SampleOptions.Run(args, """
    usage: SweepRankAndTemperature [options]
      --teacher DIR           the teacher's Hugging Face folder (default: the embedded styled-teacher)
      --student DIR           the student's Hugging Face folder (default: the embedded styled-student)
      --data FILE             JSON lines of {"prompt", "response"} (default: --rows problems of the embedded distillation task)
      --rows N                how many problems to generate without --data (default 8000: 500 steps of 16 a trial)
      --validation FILE       GSM8K JSON lines that score the trials (default: data/test.jsonl)
      --validation-rows N     how many of them (default 100)
      --epochs N              passes over the training rows per trial (default 1)
      --max-steps N           stop each trial after N steps (default 0: every epoch)
      --out DIR               where sweep-trials.jsonl, sweep.png and best.zip go (default: samples-out/SweepRankAndTemperature)
    """, Sweep);

static int Sweep(SampleOptions settings)
{
    string teacher = settings.ExistingPath("teacher", SampleOptions.Embedded("styled-teacher"));
    string student = settings.ExistingPath("student", SampleOptions.Embedded("styled-student"));
    string? trainPath = settings.Text("data") is null ? null : settings.ExistingPath("data", "");
    string validationPath = settings.ExistingPath("validation", SampleOptions.Data("test.jsonl"));
    int validationRows = settings.Number("validation-rows", 100), epochs = settings.Number("epochs", 1), maxSteps = settings.Number("max-steps", 0);
    string output = settings.OutputFolder("SweepRankAndTemperature");

    var mlContext = new MLContext(seed: 1);
    var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
    var rows = trainPath is not null
        ? File.ReadLines(trainPath).Select(line => JsonSerializer.Deserialize<Row>(line, web)!).ToList()
        // The embedded task's training references: noisy (a quarter carry an arithmetic slip), as real ones can be.
        : StyledWordProblems.Generate(settings.Number("rows", 8000), seed: 2000, ReferenceNoise.Embedded)
            .Select(p => new Row { Prompt = p.Prompt, Response = p.Solution }).ToList();
    // Clean references, so a trial's accuracy is the student's and not the noise's.
    var held = Gsm8kLoader.Read(validationPath).Take(validationRows).Select(p => new Row { Prompt = p.Prompt, Response = p.Answer }).ToList();
    var validation = mlContext.Data.LoadFromEnumerable(held);
    var train = mlContext.Data.LoadFromEnumerable(rows);
    // Where the trials start from: the untrained student's accuracy on the same validation rows.
    using (var untrained = CausalLM.FromPretrained(student))
    {
        string[] completions = untrained.Generate(held.Select(r => r.Prompt).ToList(), new GenerationOptions { MaxNewTokens = 48 });
        var scored = held.Zip(completions, (row, completion) => new Scored { Completion = completion, Response = row.Response });
        Console.WriteLine($"the student before any trial: {mlContext.EvaluateAnswers(mlContext.Data.LoadFromEnumerable(scored), "Completion", "Response")}");
    }

    var baseOptions = new NeoDistillOptions
    {
        Teacher = new TeacherModel(teacher), StudentModelPath = student, BatchSize = 16, Epochs = epochs, MaxSteps = maxSteps, MaxNewTokens = 48, Seed = 1,
    };
    var experiment = mlContext.CreateNeoSweepExperiment(baseOptions)
        .SetDataset(train, validation)
        .SetSearchSpace(new NeoSearchSpace
        {
            LoraRank = SearchRange.Int(16, 64, logScale: true),          // higher rank: more capacity, more memory
            Temperature = SearchRange.Float(1, 1.5, logScale: true),    // higher: the teacher's runner-up tokens count more
            KdWeight = SearchRange.Fixed(0.5),
            LearningRate = SearchRange.Fixed(4e-3),
        })
        .SetTuner(new GridTuner(pointsPerDimension: 2))                 // 2 x 2 = 4 trials; RandomTuner and SmacTuner also fit
        .SetMetric(SweepMetric.AnswerAccuracy)                          // maximised on the validation rows
        .SetMaxTrials(4)
        .SetTrialLog(Path.Combine(output, "sweep-trials.jsonl"))        // the same command again resumes from it
        .SetProgress(new ConsoleProgress<SweepProgress>(p => Console.WriteLine(p.Finished is { } trial
            ? $"trial {p.TrialIndex}/{p.MaxTrials} {trial.Status}: accuracy {trial.Metric:P1} in {trial.Seconds:F0} s"
            : $"trial {p.TrialIndex}/{p.MaxTrials} starts: {p.Parameters}")));
    using var result = experiment.Run();
    Console.WriteLine(result.ToTable());
    result.SavePlot(Path.Combine(output, "sweep.png"));
    mlContext.Model.Save(result.BestModel, train.Schema, Path.Combine(output, "best.zip"));
    Console.WriteLine($"best: trial {result.BestTrial.Index}, {result.BestTrial.Parameters}; wrote sweep.png and best.zip to {output}");
    return 0;
}

// Reports on the sweep's own thread, so the lines come in order (Progress<T> posts them to the thread pool).
sealed class ConsoleProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

class Scored
{
    public string Completion { get; set; } = "";
    public string Response { get; set; } = "";
}

class Row
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";
}
