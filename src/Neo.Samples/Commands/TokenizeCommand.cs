using Microsoft.ML.Neo.Data.Synthetic;

namespace Neo.Samples.Commands;

/// <summary>Shows how the embedded tokenizer splits a few generated problems (a check on sequence lengths).</summary>
internal static class TokenizeCommand
{
    public static int Run(CommandLine args)
    {
        var tokenizer = EmbeddedTask.CreateTokenizer().Tokenizer;
        Console.WriteLine($"vocabulary: {tokenizer.Vocabulary.Count} pieces");
        foreach (var p in ArithmeticWordProblems.Generate(args.Get("count", 4), 7))
        {
            var promptIds = tokenizer.EncodeToIds(p.Prompt, true, false);
            var responseIds = tokenizer.EncodeToIds(p.Solution, false, false);
            Console.WriteLine($"{p.Prompt} {p.Solution}");
            Console.WriteLine($"  prompt {promptIds.Count} tokens, response {responseIds.Count} tokens: " +
                string.Join(" | ", responseIds.Select(id => tokenizer.Decode(new[] { id }))));
            Console.WriteLine($"  round trip ok: {tokenizer.Decode(responseIds) == p.Solution}");
        }
        return 0;
    }
}
