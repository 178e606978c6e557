namespace Microsoft.ML.Neo.Analysis;

/// <summary>What a token of an analysed text is, for the statistics that ask where attention goes.</summary>
internal static class TokenKind
{
    /// <summary>A token with a digit in it: part of a number (a tokenizer may spell a number digit by digit).</summary>
    public static bool IsNumber(string token) => token.Any(char.IsAsciiDigit);

    /// <summary>A token of arithmetic operators only (+ − * / = × ÷ and their kin), spaces aside.</summary>
    public static bool IsOperator(string token)
    {
        var text = token.Trim().Replace("▁", "", StringComparison.Ordinal);
        return text.Length > 0 && text.All(c => "+-*/=×÷−<>%^".Contains(c));
    }
}
