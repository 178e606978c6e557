// Chat with a distilled student through Microsoft.Extensions.AI's IChatClient, the answer streamed token by token.
//   dotnet run --project src/Neo.Samples/ChatWithTheStudent [-- --model student.zip --prompt "..."]
// The model is a NeoDistill model zip (default: the one the DistillInAPipeline sample writes) or a Hugging Face
// folder. With --prompt it answers once; without it reads a prompt per line until end of input (Ctrl+D).
using Microsoft.Extensions.AI;
using Microsoft.ML;
using Microsoft.ML.Neo;
using Neo.Samples;

return await SampleOptions.RunAsync(args, """
    usage: ChatWithTheStudent [options]
      --model ZIP|DIR    a model zip or a Hugging Face folder (default: samples-out/DistillInAPipeline/student.zip,
                         which the DistillInAPipeline sample writes)
      --prompt TEXT      answer this prompt and exit; \n stands for a line break (default: read prompts, one per line)
    """, Chat);

static async Task<int> Chat(SampleOptions settings)
{
    string modelPath = settings.ExistingPath("model", Path.Combine(SampleOptions.OutputRoot, "DistillInAPipeline", "student.zip"));

    // A zip's client writes plain prompts, as the student was trained; a folder's uses its chat template's format.
    IDisposable owner;
    IChatClient chat;
    if (Directory.Exists(modelPath))
    {
        var model = CausalLM.FromPretrained(modelPath);
        (owner, chat) = (model, model.AsIChatClient());
    }
    else
    {
        var distilled = new MLContext().Model.LoadNeoDistill(modelPath);
        (owner, chat) = (distilled, distilled.AsIChatClient());
    }

    using (owner)
    using (chat)
    {
        var options = new ChatOptions { MaxOutputTokens = 64, Temperature = 0 };   // greedy: the same answer every time
        // "\n" typed in a prompt stands for a line break (the embedded models' prompts end in "\nAnswer:").
        IEnumerable<string> prompts = settings.Text("prompt") is { } prompt ? new[] { prompt.Replace("\\n", "\n") } : ReadPrompts();
        foreach (string text in prompts)
        {
            await foreach (var update in chat.GetStreamingResponseAsync(text, options)) Console.Write(update.Text);
            Console.WriteLine();
        }
    }
    return 0;
}

static IEnumerable<string> ReadPrompts()
{
    Console.Error.Write("> ");
    while (Console.ReadLine() is { } line)
    {
        if (line.Length > 0) yield return line.Replace("\\n", "\n");
        Console.Error.Write("> ");
    }
}
