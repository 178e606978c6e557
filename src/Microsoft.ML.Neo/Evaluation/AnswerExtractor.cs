using System.Globalization;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Neo.Evaluation;

/// <summary>
/// Finds the final numeric answer in a solution text: the number after GSM8K's <c>####</c> marker if there is one,
/// else the last number in the text. Commas inside numbers are ignored.
/// </summary>
public static partial class AnswerExtractor
{
    [GeneratedRegex(@"####\s*\$?\s*(-?[\d,]*\.?\d+)")]
    private static partial Regex MarkedAnswer();

    [GeneratedRegex(@"-?\d[\d,]*(\.\d+)?")]
    private static partial Regex AnyNumber();

    /// <summary>The answer as a decimal, or null when the text has no number.</summary>
    public static decimal? Extract(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var marked = MarkedAnswer().Match(text);
        if (marked.Success) return Parse(marked.Groups[1].Value);
        var numbers = AnyNumber().Matches(text);
        return numbers.Count == 0 ? null : Parse(numbers[^1].Value);
    }

    private static decimal? Parse(string number) =>
        decimal.TryParse(number.Replace(",", ""), NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : null;
}
