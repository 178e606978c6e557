// An app that references Microsoft.ML.Neo.Cpu.Linux and Microsoft.ML.TorchSharp together (eng/check-packages.sh
// creates it): one process runs NeoDistill and a Microsoft.ML.TorchSharp model on the same TorchSharp and libtorch.
//   <teacher> <student> <train.jsonl>
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Microsoft.ML.TorchSharp;
using static TorchSharp.torch;

var rows = File.ReadLines(args[2]).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<Row>(l, new JsonSerializerOptions(JsonSerializerDefaults.Web))!).ToList();
var ml = new MLContext(seed: 1);
var data = ml.Data.LoadFromEnumerable(rows);
using (var model = ml.Transforms.NeoDistill(new NeoDistillOptions
{
    Teacher = new TeacherModel(args[0]), StudentModelPath = args[1], PromptColumnName = "Prompt", ResponseColumnName = "Response",
    OutputColumnName = "Completion", LoraRank = 4, LoraAlpha = 8, BatchSize = 8, MaxSteps = 2, MaxNewTokens = 8, Seed = 1,
}).Fit(data))
{
    Console.WriteLine($"NeoDistill: {model.TrainingSummary}");
}

// Microsoft.ML.TorchSharp's own modules on the same tensors. Its trainers download pretrained weights at Fit time,
// which an offline machine cannot do, so the check uses pieces that need none: NasBERT's GELU module, against its
// formula, and the TextClassification estimator from the same MLContext catalog.
using (NewDisposeScope())
{
    var x = linspace(-4, 4, 9);
    var gelu = new Microsoft.ML.TorchSharp.NasBert.Modules.GeLUFast().forward(x);
    var expected = 0.5 * x * (1 + tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x.pow(3))));
    double difference = (gelu - expected).abs().max().item<float>();
    Console.WriteLine($"Microsoft.ML.TorchSharp GeLUFast: max difference from the formula {difference:G3}");
    if (difference > 1e-5) return 1;
}
var textClassification = ml.MulticlassClassification.Trainers.TextClassification(labelColumnName: "Label", sentence1ColumnName: "Text");
Console.WriteLine($"Microsoft.ML.TorchSharp TextClassification estimator: {textClassification.GetType().Name}");

// Microsoft.ML.TorchSharp 0.23.1 was compiled against TorchSharp 0.102; restore resolves 0.107, and its object-detection
// network calls a TorchSharp overload that 0.107 no longer has. Reported here so docs/using-in-your-app.md stays true.
try
{
    using var detector = new Microsoft.ML.TorchSharp.AutoFormerV2.AutoFormerV2(3, [64, 128, 256, 448], [2, 2, 6, 2], [2, 4, 8, 14], CPU);
    detector.eval();
    using var _ = no_grad();
    detector.forward(rand(1, 3, 224, 224));
    Console.WriteLine("Microsoft.ML.TorchSharp AutoFormerV2: forward ran");
}
catch (MissingMethodException e)
{
    Console.WriteLine($"Microsoft.ML.TorchSharp AutoFormerV2: {e.GetType().Name}: {e.Message}");
}
Console.WriteLine($"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, Microsoft.ML {typeof(MLContext).Assembly.GetName().Version}");
return 0;

internal sealed class Row
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";
}
