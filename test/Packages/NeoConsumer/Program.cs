// A console app as a user writes it: it references the Microsoft.ML.Neo.Cpu.Linux package from a feed and nothing
// from this repository. eng/check-packages.sh creates it with `dotnet new console` and copies this file in.
//   fit <teacher> <student> <train.jsonl> <model.zip>   distils, saves the zip, prints "completion: ..." for the first prompt
//   predict <model.zip> <prompt>                           loads the zip (a fresh process) and prints "completion: ..."
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Neo;

if (args is ["fit", var teacher, var student, var dataPath, var zip])
{
    var rows = File.ReadLines(dataPath).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<Row>(l, new JsonSerializerOptions(JsonSerializerDefaults.Web))!).ToList();
    var ml = new MLContext(seed: 1);
    var data = ml.Data.LoadFromEnumerable(rows);
    var options = new NeoDistillOptions
    {
        Teacher = new TeacherModel(teacher), StudentModelPath = student,
        PromptColumnName = nameof(Row.Prompt), ResponseColumnName = nameof(Row.Response), OutputColumnName = nameof(Prediction.Completion),
        LoraRank = 4, LoraAlpha = 8, BatchSize = 8, MaxSteps = 4, MaxNewTokens = 16, Seed = 1,
    };
    using var model = ml.Transforms.NeoDistill(options).Fit(data);
    ml.Model.Save(model, data.Schema, zip);
    var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
    Console.WriteLine("completion: " + engine.Predict(rows[0]).Completion.ReplaceLineEndings("\\n"));
    return 0;
}
if (args is ["predict", var modelZip, var prompt])
{
    var ml = new MLContext();
    var model = ml.Model.Load(modelZip, out _);
    var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
    Console.WriteLine("completion: " + engine.Predict(new Row { Prompt = prompt }).Completion.ReplaceLineEndings("\\n"));
    return 0;
}
Console.Error.WriteLine("usage: fit <teacher> <student> <train.jsonl> <model.zip> | predict <model.zip> <prompt>");
return 2;

internal sealed class Row
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";
}

internal sealed class Prediction
{
    public string Completion { get; set; } = "";
}
