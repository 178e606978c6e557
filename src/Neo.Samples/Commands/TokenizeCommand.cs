using System.Text.Json;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Tokenization;

namespace Neo.Samples.Commands;

/// <summary>
/// Tokenizer checks:
/// <list type="bullet">
/// <item><c>tokenize</c>: how the embedded tokenizer splits a few generated problems (sequence lengths, round trips).</item>
/// <item><c>tokenize --model DIR --text "..."</c>: the ids and tokens a Hugging Face folder's tokenizer gives.</item>
/// <item><c>tokenize --check DIR</c>: compares with reference ids; every sub-folder of DIR holds tokenizer files and a
/// reference.json of {"cases": [{"text", "ids"}]} (tools/tokenizer-crosscheck writes them). Exits 1 on any difference.</item>
/// </list>
/// </summary>
internal static class TokenizeCommand
{
    public static int Run(CommandLine args)
    {
        if (args.Has("check")) return Check(args.Get("check", ""));
        if (args.Has("model")) return Show(args.Get("model", ""), args.Get("text", "Hello world"));

        var tokenizer = EmbeddedTask.CreateTokenizer();
        Console.WriteLine($"vocabulary: {tokenizer.VocabularySize} pieces");
        foreach (var p in ArithmeticWordProblems.Generate(args.Get("count", 4), 7))
        {
            var promptIds = tokenizer.Encode(p.Prompt);
            var responseIds = tokenizer.Encode(p.Solution, addBeginningOfSequence: false);
            Console.WriteLine($"{p.Prompt} {p.Solution}");
            Console.WriteLine($"  prompt {promptIds.Length} tokens, response {responseIds.Length} tokens: " +
                string.Join(" | ", responseIds.Select(id => tokenizer.Decode(new[] { id }))));
            Console.WriteLine($"  round trip ok: {tokenizer.Decode(responseIds) == p.Solution}");
        }
        return 0;
    }

    private static int Show(string directory, string text)
    {
        var tokenizer = TokenizerFiles.TryLoad(directory)
            ?? throw new InvalidDataException($"'{directory}' has no tokenizer.json or tokenizer.model.");
        var ids = tokenizer.Encode(text);
        Console.WriteLine($"{tokenizer.Kind} tokenizer, {tokenizer.VocabularySize} ids; BOS {tokenizer.BeginningOfSequenceId} " +
            $"(added: {tokenizer.AddsBeginningOfSequence}), EOS {tokenizer.EndOfSequenceId}, pad {tokenizer.PaddingId}");
        Console.WriteLine($"ids: [{string.Join(", ", ids)}]");
        Console.WriteLine($"tokens: {string.Join(" | ", ids.Select(id => tokenizer.Decode(new[] { id })))}");
        return 0;
    }

    private static int Check(string root)
    {
        int failures = 0;
        foreach (var directory in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            string referencePath = Path.Combine(directory, "reference.json");
            if (!File.Exists(referencePath)) continue;
            var tokenizer = TokenizerFiles.TryLoad(directory)
                ?? throw new InvalidDataException($"'{directory}' has no tokenizer.json or tokenizer.model.");
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
            Console.WriteLine($"{Path.GetFileName(directory)} ({tokenizer.Kind}): {matched}/{texts} texts identical, {tokens} reference tokens");
            if (firstDifference is not null) Console.WriteLine(firstDifference);
            failures += texts - matched;
        }
        Console.WriteLine(failures == 0 ? "All texts encode to the reference ids." : $"{failures} texts differ.");
        return failures == 0 ? 0 : 1;
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
