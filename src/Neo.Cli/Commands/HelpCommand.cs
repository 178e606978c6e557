using System.CommandLine;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// neo help [topic]: what a tool user needs beyond each command's --help, without the source repository's docs: the
/// data format, the embedded models, the model families, --json and the exit codes.
/// </summary>
internal static class HelpCommand
{
    private static readonly Dictionary<string, (string Summary, Func<string> Text)> Topics = new(StringComparer.Ordinal)
    {
        ["data"] = ("the JSON-lines training and test data", () => """
            One JSON object per line, with the prompt and the response (set the keys with --prompt-key and
            --response-key; keys match whatever their case). The embedded models read this format:

              {"prompt": "Question: Tom has 11 stamps. Tom buys 2 packs with 5 stamps in each. How many stamps does Tom have now?\nAnswer:", "response": "Tom buys 2*5=10 stamps. Now Tom has 11+10=21 stamps.\n#### 21"}

            The response is tokenized on its own. A SentencePiece tokenizer (Llama 2, TinyLlama, the embedded models)
            opens it with a word boundary itself, so write it without a leading space: the model reads
            "Answer: Tom buys". A byte-level tokenizer (Llama 3, Qwen, Gemma 3, SmolLM, Phi-4) adds nothing, so there
            the response starts with its separator (" Tom buys"). `neo tokenize --model DIR --text " Tom"` shows which
            a folder is; neo distill warns when responses start with a space the tokenizer would double.
            For accuracy (neo evaluate), the reference response ends in "#### <answer>" (else its last number counts).

            GSM8K's own files ({"question": ..., "answer": "... #### 72"}, like its test.jsonl) are read as they are
            with the default keys: each question is asked as the embedded models' prompt, "Question: ...\nAnswer:",
            and its answer is the reference. With --prompt-key question the question is read as the whole prompt.

            `neo init --out DIR` writes DIR/train.jsonl (16,000 prompt/response rows) and DIR/test.jsonl (GSM8K) to start from.
            """),
        ["models"] = ("model folders, zips and the embedded models", () => $"""
            A model is a Hugging Face folder (config.json, *.safetensors, tokenizer files), or for predict, evaluate,
            export and serve a model zip written by neo distill. Families: Llama (2, 3.x, TinyLlama, SmolLM2), Mistral,
            Qwen2, Qwen3, Gemma 3 (text and the multimodal checkpoints' text model), Phi-3 / Phi-4-mini, SmolLM3.

            The tool ships small models for trying things out; any model option takes them by name:
              {string.Join("\n  ", EmbeddedNames)}
            e.g. neo distill --teacher embedded:styled-teacher --student embedded:styled-student --data neo-start/train.jsonl
            where `neo init` writes the data (and the pair as folders, for the library and other tools).
            """),
        ["json"] = ("machine-readable results", () => """
            --json on any command writes its result as one JSON document on standard output; progress and log lines
            go to standard error. A failure writes {"error": "...", "exitCode": N} instead, parse errors included.
            """),
        ["exit-codes"] = ("what every command returns", () => """
              0    done
              1    an unexpected error (the message and stack trace go to standard error)
              2    bad input: an unknown command or option, a missing or unreadable file, a setting out of range
              3    libtorch, the native library the tensors run on, could not be loaded
              4    a check the command runs did not pass (tokenize --check, quickstart's reload comparison)
              130  stopped by Ctrl+C; a checkpoint holds the steps done, and the same command continues from it
            """),
    };

    public static Command Create()
    {
        var topic = new Argument<string?>("topic") { Description = "One of: " + string.Join(", ", Topics.Keys) + ".", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("help", "Topics beyond each command's --help: data format, models, --json, exit codes.") { topic }
            .WithExample("neo help data");
        command.SetWork((parse, console, _) =>
        {
            string? name = parse.GetValue(topic);
            if (name is null)
            {
                console.WriteLine("neo help <topic>:");
                foreach (var (key, (summary, _)) in Topics) console.WriteLine($"  {key,-11} {summary}");
                console.WriteLine("Each command's options and an example: neo <command> --help.");
                console.WriteResult(new { topics = Topics.Keys });
                return ExitCodes.Success;
            }
            if (!Topics.TryGetValue(name, out var entry))
            {
                string? near = Topics.Keys.FirstOrDefault(k => k.StartsWith(name, StringComparison.OrdinalIgnoreCase) || name.StartsWith(k, StringComparison.OrdinalIgnoreCase));
                throw new UsageException($"No help topic '{name}'{(near is null ? "." : $"; did you mean '{near}'?")} The topics: {string.Join(", ", Topics.Keys)}.");
            }
            string text = entry.Text();
            console.WriteLine(text);
            console.WriteResult(new { topic = name, text });
            return ExitCodes.Success;
        });
        return command;
    }
}
