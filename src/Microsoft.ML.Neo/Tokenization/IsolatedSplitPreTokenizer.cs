using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// tokenizer.json's pre-tokenizer chain for byte-level BPE: each step splits every piece of the step before with a
/// regex in the "Isolated" way (each match is a piece, and so is each run of text between matches). Special tokens
/// are cut out first and never split.
/// </summary>
internal sealed class IsolatedSplitPreTokenizer : PreTokenizer
{
    private readonly IReadOnlyList<Regex> steps;
    private readonly SpecialTokenSplitter specialTokens;

    public IsolatedSplitPreTokenizer(IReadOnlyList<Regex> steps, IEnumerable<string> specialTokens)
    {
        this.steps = steps;
        this.specialTokens = new SpecialTokenSplitter(specialTokens);
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Split(text ?? "");

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text.ToString());

    private List<(int Offset, int Length)> Split(string text)
    {
        var pieces = new List<(int, int)>();
        foreach (var (offset, length, isSpecial) in specialTokens.Split(text))
        {
            if (isSpecial) pieces.Add((offset, length));
            else SplitPlain(text, offset, length, 0, pieces);
        }
        return pieces;
    }

    private void SplitPlain(string text, int offset, int length, int step, List<(int, int)> pieces)
    {
        if (length == 0) return;
        if (step == steps.Count)
        {
            pieces.Add((offset, length));
            return;
        }
        int position = offset, end = offset + length;
        // Matching inside [offset, end) only: lookarounds such as \s+(?!\S) see the piece's end as the text's end,
        // as the Rust implementation does when it splits one piece at a time.
        var piece = text.Substring(offset, length);
        foreach (Match match in steps[step].Matches(piece))
        {
            if (match.Length == 0) continue;
            int matchStart = offset + match.Index;
            SplitPlain(text, position, matchStart - position, step + 1, pieces);
            SplitPlain(text, matchStart, match.Length, step + 1, pieces);
            position = matchStart + match.Length;
        }
        SplitPlain(text, position, end - position, step + 1, pieces);
    }
}
