// Chat with a distilled student through Microsoft.Extensions.AI's IChatClient, the answer streamed token by token.
//   dotnet run --project src/Neo.Samples/ChatWithTheStudent -- MODEL [PROMPT]
// MODEL is a NeoDistill model zip (student.zip from the DistillInAPipeline sample) or a Hugging Face folder. With a
// PROMPT it answers once; without one it reads a prompt per line until end of input (Ctrl+D).
using Microsoft.Extensions.AI;
using Microsoft.ML;
using Microsoft.ML.Neo;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: ChatWithTheStudent MODEL [PROMPT]");
    return 2;
}
string modelPath = args[0];

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
    var distilled = (NeoDistillTransformer)new MLContext().Model.Load(modelPath, out _);
    (owner, chat) = (distilled, distilled.AsIChatClient());
}

using (owner)
using (chat)
{
    var options = new ChatOptions { MaxOutputTokens = 64, Temperature = 0 };   // greedy: the same answer every time
    // "\n" typed in a prompt stands for a line break (the embedded models' prompts end in "\nAnswer:").
    IEnumerable<string> prompts = args.Length > 1 ? new[] { string.Join(' ', args[1..]).Replace("\\n", "\n") } : ReadPrompts();
    foreach (string prompt in prompts)
    {
        await foreach (var update in chat.GetStreamingResponseAsync(prompt, options)) Console.Write(update.Text);
        Console.WriteLine();
    }
}
return 0;

static IEnumerable<string> ReadPrompts()
{
    Console.Error.Write("> ");
    while (Console.ReadLine() is { } line)
    {
        if (line.Length > 0) yield return line.Replace("\\n", "\n");
        Console.Error.Write("> ");
    }
}
