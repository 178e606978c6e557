using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Tokenization;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// Tokenizer checks:
/// <list type="bullet">
/// <item><c>tokenize</c>: how the embedded tokenizer splits a few generated problems (sequence lengths, round trips).</item>
/// <item><c>tokenize --model DIR --text "..."</c>: the ids and tokens a Hugging Face folder's tokenizer gives.</item>
/// <item><c>tokenize --check DIR</c>: compares with reference ids; every sub-folder of DIR holds tokenizer files and a
/// reference.json of {"cases": [{"text", "ids"}]} (tools/tokenizer-crosscheck writes them). Exits 4 on any difference.</item>
/// </list>
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var model = Optional<string?>("--model", "A Hugging Face folder whose tokenizer to use (default: the embedded task's).");
        var text = With("--text", "Hello world", "The text to encode, with --model; \\n stands for a line break, as in neo predict.");
        var check = Optional<string?>("--check", "Compare with reference ids: every sub-folder holds tokenizer files and a reference.json.");
        var count = With("--count", 4, "How many embedded-task problems to show, without --model.");
        var command = new Command("tokenize",
            "Show how a tokenizer splits text, or check it against reference ids (exit code 4 on any difference).")
        {
            model, text, check, count,
        }.WithExample("neo tokenize --model ./student --text \"Hello world\"");
        command.SetWork((parse, console, _) =>
        {
            if (parse.GetValue(check) is { } root) return Check(console, root);
            if (parse.GetValue(model) is { } folder) return Show(console, ExistingModel("--model", folder), TypedText(parse.GetValue(text)!));

            var tokenizer = EmbeddedTask.CreateTokenizer();
            console.WriteLine($"vocabulary: {tokenizer.VocabularySize} pieces");
            foreach (var p in ArithmeticWordProblems.Generate(parse.GetValue(count), 7))
            {
                var promptIds = tokenizer.Encode(p.Prompt);
                var responseIds = tokenizer.Encode(p.Solution, addBeginningOfSequence: false);
                console.WriteLine($"{p.Prompt} {p.Solution}");
                console.WriteLine($"  prompt {promptIds.Length} tokens, response {responseIds.Length} tokens: " +
                    string.Join(" | ", responseIds.Select(id => tokenizer.Decode(new[] { id }))));
                console.WriteLine($"  round trip ok: {tokenizer.Decode(responseIds) == p.Solution}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static readonly System.Text.Json.JsonSerializerOptions QuotedText =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static int Show(CliConsole console, string directory, string text)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Folder '{directory}' not found; pass a Hugging Face model folder with --model.");
        var tokenizer = TokenizerFiles.TryLoad(directory)
            ?? throw new InvalidDataException($"'{directory}' has no tokenizer.json or tokenizer.model.");
        var ids = tokenizer.Encode(text);
        console.WriteLine($"{tokenizer.Kind} tokenizer, {tokenizer.VocabularySize} ids; BOS {tokenizer.BeginningOfSequenceId} " +
            $"(added: {tokenizer.AddsBeginningOfSequence}), EOS {tokenizer.EndOfSequenceId}, pad {tokenizer.PaddingId?.ToString() ?? "none"}");
        console.WriteLine($"ids: [{string.Join(", ", ids)}]");
        // Each token's text in the sequence, spaces included, so the quoted pieces show where the word boundaries are.
        var tokens = tokenizer.TokenTexts(ids);
        console.WriteLine($"tokens: {string.Join(" ", tokens.Select(t => System.Text.Json.JsonSerializer.Serialize(t, QuotedText)))}");
        console.WriteResult(new { kind = tokenizer.Kind.ToString(), ids, tokens });
        return ExitCodes.Success;
    }

    private static int Check(CliConsole console, string root)
    {
        int failures = 0;
        var results = new List<object>();
        foreach (var directory in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            string referencePath = Path.Combine(directory, "reference.json");
            if (!File.Exists(referencePath)) continue;
            TokenizerFiles tokenizer;
            try
            {
                tokenizer = TokenizerFiles.TryLoad(directory)
                    ?? throw new InvalidDataException($"'{directory}' has no tokenizer.json or tokenizer.model.");
            }
            catch (Exception e) when (e is InvalidDataException or Microsoft.ML.Neo.UnreadableFileException)
            {
                // One unreadable folder should not hide the results of the others.
                console.WriteLine($"{Path.GetFileName(directory)}: cannot be read: {e.Message}");
                results.Add(new { name = Path.GetFileName(directory), error = e.Message });
                failures++;
                continue;
            }
            using var reference = JsonDocument.Parse(File.ReadAllBytes(referencePath));
            int texts = 0, matched = 0, tokens = 0;
            string? firstDifference = null;
            foreach (var item in reference.RootElement.GetProperty("cases").EnumerateArray())
            {
                string text = item.GetProperty("text").GetString()!;
                var expected = item.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                var actual = tokenizer.Encode(text, addBeginningOfSequence: false);
                texts++;
                tokens += expected.Length;
                if (expected.SequenceEqual(actual)) matched++;
                else firstDifference ??= Difference(tokenizer, text, expected, actual);
            }
            console.WriteLine($"{Path.GetFileName(directory)} ({tokenizer.Kind}): {matched}/{texts} texts identical, {tokens} reference tokens");
            if (firstDifference is not null) console.WriteLine(firstDifference);
            results.Add(new { name = Path.GetFileName(directory), kind = tokenizer.Kind.ToString(), texts, identical = matched, referenceTokens = tokens, firstDifference });
            failures += texts - matched;
        }
        console.WriteLine(failures == 0 ? "All texts encode to the reference ids." : $"{failures} texts differ.");
        console.WriteResult(new { tokenizers = results, failures });
        return failures == 0 ? ExitCodes.Success : ExitCodes.CheckFailed;
    }

    // The first differing position, with a few tokens either side, decoded so the reader sees which text split differently.
    private static string Difference(TokenizerFiles tokenizer, string text, int[] expected, int[] actual)
    {
        int at = 0;
        while (at < expected.Length && at < actual.Length && expected[at] == actual[at]) at++;
        int from = Math.Max(0, at - 3);
        string Window(int[] ids) => string.Join(" ", ids.Skip(from).Take(8).Select(id => $"{id}:{JsonSerializer.Serialize(tokenizer.Decode(new[] { id }))}"));
        return $"    first difference at token {at} of {JsonSerializer.Serialize(text[..Math.Min(text.Length, 60)])}...\n" +
               $"      reference {Window(expected)}\n      ours      {Window(actual)}";
    }
}
