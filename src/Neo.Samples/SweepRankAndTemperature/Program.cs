// A sweep over LoRA rank and KD temperature, shaped like ML.NET's AutoML experiments: a search space, a tuner, a
// metric and a budget; then the table of trials, a plot, and the best model as an ordinary ITransformer.
//   dotnet run --project src/Neo.Samples/SweepRankAndTemperature -- TEACHER STUDENT TRAIN.jsonl [MAX_STEPS] [VALIDATION_ROWS]
// The first VALIDATION_ROWS rows (default 100) are held out to score each trial; the rest train it.
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Sweeps;

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: SweepRankAndTemperature TEACHER STUDENT TRAIN.jsonl [MAX_STEPS] [VALIDATION_ROWS]");
    return 2;
}
string teacher = args[0], student = args[1], trainPath = args[2];
int maxSteps = args.Length > 3 ? int.Parse(args[3]) : 0;
int validationRows = args.Length > 4 ? int.Parse(args[4]) : 100;

var mlContext = new MLContext(seed: 1);
var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
var rows = File.ReadLines(trainPath).Select(line => JsonSerializer.Deserialize<Row>(line, web)!).ToList();
var validation = mlContext.Data.LoadFromEnumerable(rows.Take(validationRows));
var train = mlContext.Data.LoadFromEnumerable(rows.Skip(validationRows));

var baseOptions = new NeoDistillOptions
{
    Teacher = new TeacherModel(teacher), StudentModelPath = student, BatchSize = 8, MaxSteps = maxSteps, MaxNewTokens = 48, Seed = 1,
};
var experiment = mlContext.CreateNeoSweepExperiment(baseOptions)
    .SetDataset(train, validation)
    .SetSearchSpace(new NeoSearchSpace
    {
        LoraRank = SearchRange.Int(4, 16, logScale: true),          // higher rank: more capacity, more memory
        Temperature = SearchRange.Float(1, 4, logScale: true),      // higher: the teacher's runner-up tokens count more
        KdWeight = SearchRange.Fixed(0.5),
        LearningRate = SearchRange.Fixed(2e-3),
    })
    .SetTuner(new GridTuner(pointsPerDimension: 2))                 // 2 x 2 = 4 trials; RandomTuner and SmacTuner also fit
    .SetMetric(SweepMetric.AnswerAccuracy)                          // maximised on the validation rows
    .SetMaxTrials(4)
    .SetTrialLog("sweep-trials.jsonl")                              // the same command again resumes from it
    .SetProgress(new ConsoleProgress<SweepProgress>(p => Console.WriteLine(p.Finished is { } trial
        ? $"trial {p.TrialIndex}/{p.MaxTrials} {trial.Status}: accuracy {trial.Metric:P1} in {trial.Seconds:F0} s"
        : $"trial {p.TrialIndex}/{p.MaxTrials} starts: {p.Parameters}")));
using var result = experiment.Run();
Console.WriteLine(result.ToTable());
result.SavePlot("sweep.png");
mlContext.Model.Save(result.BestModel, train.Schema, "best.zip");
Console.WriteLine($"best: trial {result.BestTrial.Index}, {result.BestTrial.Parameters}; wrote sweep.png and best.zip");
return 0;

// Reports on the sweep's own thread, so the lines come in order (Progress<T> posts them to the thread pool).
sealed class ConsoleProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

class Row
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";
}
