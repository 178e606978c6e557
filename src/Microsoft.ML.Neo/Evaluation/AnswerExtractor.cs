using System.Globalization;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Neo.Evaluation;

/// <summary>Which rule of <see cref="AnswerExtractor"/> found the answer.</summary>
public enum AnswerRule
{
    /// <summary>No rule applied: the text has no number.</summary>
    None,
    /// <summary>The first <c>\boxed{...}</c> holding a number.</summary>
    Boxed,
    /// <summary>GSM8K's <c>#### n</c> marker.</summary>
    Gsm8kMarker,
    /// <summary>Every number on the first line, when they all agree.</summary>
    FirstLine,
    /// <summary>The first number after "the answer is", "the final answer is" or "the correct answer is".</summary>
    AnswerIsPhrase,
    /// <summary>The last number in the text.</summary>
    LastNumber,
}

/// <summary>
/// Finds the final numeric answer in a solution, with the response-priming paper's rules in their order:
/// <c>\boxed{}</c>; the numbers on the first line, accepted only if they agree; the first number after "the
/// (final/correct) answer is"; else the last number. GSM8K's <c>#### n</c> marker, which its references end with, is
/// tried right after <c>\boxed{}</c>. Numbers may carry thousands separators (<c>1,250</c>), a currency sign
/// (<c>$3.50</c>), a sign, a decimal part and a unit or percent after them (<c>2.5 hours</c>, <c>40%</c>).
/// </summary>
public static partial class AnswerExtractor
{
    // A number: a minus sign unless it follows a word or ")" (so "10-5" is 10 and 5), an optional "$", digits with
    // comma groups of three ("3,4,5" is three numbers), optional decimals.
    private const string Number = @"(?:(?<![\w)])-)?(?:\$\s?)?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?";

    [GeneratedRegex(@"\\boxed\{([^{}]*)\}")]
    private static partial Regex Boxed();

    [GeneratedRegex(@"####\s*(" + Number + ")")]
    private static partial Regex MarkedAnswer();

    [GeneratedRegex(@"the\s+(?:final\s+|correct\s+)?answer\s+is\s*:?\s*(" + Number + ")", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerIsPhrase();

    [GeneratedRegex(Number)]
    private static partial Regex AnyNumber();

    /// <summary>The answer as a decimal, or null when the text has no number.</summary>
    public static decimal? Extract(string? text) => ExtractWithRule(text).Value;

    /// <summary>The answer and the rule that found it; (null, <see cref="AnswerRule.None"/>) when the text has no number.</summary>
    public static (decimal? Value, AnswerRule Rule) ExtractWithRule(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (null, AnswerRule.None);

        foreach (Match boxed in Boxed().Matches(text))
        {
            if (FirstNumber(boxed.Groups[1].Value) is decimal value) return (value, AnswerRule.Boxed);
        }

        var marked = MarkedAnswer().Match(text);
        if (marked.Success && Parse(marked.Groups[1].Value) is decimal markedValue) return (markedValue, AnswerRule.Gsm8kMarker);

        string firstLine = text.TrimStart().Split('\n')[0];
        var onFirstLine = AnyNumber().Matches(firstLine).Select(m => Parse(m.Value)).OfType<decimal>().Distinct().ToList();
        if (onFirstLine.Count == 1) return (onFirstLine[0], AnswerRule.FirstLine);

        var phrase = AnswerIsPhrase().Match(text);
        if (phrase.Success && Parse(phrase.Groups[1].Value) is decimal phraseValue) return (phraseValue, AnswerRule.AnswerIsPhrase);

        var numbers = AnyNumber().Matches(text);
        for (int i = numbers.Count - 1; i >= 0; i--)
        {
            if (Parse(numbers[i].Value) is decimal last) return (last, AnswerRule.LastNumber);
        }
        return (null, AnswerRule.None);
    }

    private static decimal? FirstNumber(string text)
    {
        var match = AnyNumber().Match(text);
        return match.Success ? Parse(match.Value) : null;
    }

    private static decimal? Parse(string number)
    {
        string digits = number.Replace(",", "").Replace("$", "").Replace(" ", "");
        return decimal.TryParse(digits, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            ? value : null;
    }
}
