using System.Text.RegularExpressions;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// Cuts special tokens (<c>&lt;s&gt;</c>, <c>&lt;|eot_id|&gt;</c>) out of text before anything else sees it, as Hugging Face
/// tokenizers do with added tokens: the longest token wins where several match, and special tokens are never split.
/// </summary>
internal sealed class SpecialTokenSplitter
{
    private readonly Regex? pattern;

    public SpecialTokenSplitter(IEnumerable<string> specialTokens)
    {
        var alternatives = specialTokens.OrderByDescending(t => t.Length).Select(Regex.Escape).ToArray();
        pattern = alternatives.Length == 0 ? null : new Regex(string.Join("|", alternatives), RegexOptions.CultureInvariant);
    }

    /// <summary>The text as runs in order: plain runs (possibly empty) and the special tokens between them.</summary>
    public IEnumerable<(int Offset, int Length, bool IsSpecial)> Split(string text)
    {
        int start = 0;
        if (pattern is not null)
        {
            foreach (Match special in pattern.Matches(text))
            {
                yield return (start, special.Index - start, false);
                yield return (special.Index, special.Length, true);
                start = special.Index + special.Length;
            }
        }
        yield return (start, text.Length - start, false);
    }
}
