using Microsoft.ML;

namespace Neo.Samples.Commands;

/// <summary>
/// Loads a saved model zip in a fresh process (no registration call) and completes one prompt:
///   predict --model student.zip --prompt "Question: ...\nAnswer:"
/// </summary>
internal static class PredictCommand
{
    private sealed class Input
    {
        public string Prompt { get; set; } = "";
    }

    private sealed class Output
    {
        public string Completion { get; set; } = "";
    }

    public static int Run(CommandLine args)
    {
        string zip = args.Get("model", "");
        if (!File.Exists(zip))
        {
            Console.Error.WriteLine($"predict: model zip '{zip}' not found; pass --model <path to .zip>.");
            return 2;
        }
        var ml = new MLContext();
        var model = ml.Model.Load(zip, out _);
        var engine = ml.Model.CreatePredictionEngine<Input, Output>(model);
        string prompt = args.Get("prompt", "").Replace("\\n", "\n");
        Console.WriteLine("Completion: " + engine.Predict(new Input { Prompt = prompt }).Completion.ReplaceLineEndings("\\n"));
        return 0;
    }
}
