using System.CommandLine;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>neo predict: completes prompts with a saved model zip (in a fresh process, no registration call) or a folder.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = Required<string>("--model", "A model zip saved by NeoDistill, or a Hugging Face folder.");
        var prompts = new Option<string[]>("--prompt") { Description = "A prompt to complete; repeat for several. \\n stands for a line break.", Required = true };
        var maxNewTokens = With("--max-new-tokens", 64, "Most tokens to generate, for a folder (a zip uses the length it was trained with).");
        var command = new Command("predict",
            "Complete prompts with a distilled model zip or a Hugging Face folder (greedy decoding).")
        {
            model, prompts, maxNewTokens,
        }.WithExample("neo predict --model student.zip --prompt \"Question: What is 2 + 3?\\nAnswer:\"");
        command.SetWork((parse, console, _) =>
        {
            using var source = ModelSource.Open(ExistingModel("--model", parse.GetValue(model)!), parse.GetValue(maxNewTokens));
            var completions = new List<object>();
            foreach (string raw in parse.GetValue(prompts)!)
            {
                string prompt = TypedText(raw);
                string completion = source.Complete(prompt);
                console.WriteLine("Completion: " + completion.ReplaceLineEndings("\\n"));
                completions.Add(new { prompt, completion });
            }
            console.WriteResult(new { completions });
            return ExitCodes.Success;
        });
        return command;
    }
}
