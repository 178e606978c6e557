using System.Globalization;

namespace Neo.Cli.Terminal;

/// <summary>Counts in words, as a person writes them: "1 seed", "3 seeds", "1 epoch".</summary>
internal static class Words
{
    /// <param name="plural">The plural where it is not the word plus "s".</param>
    public static string Count(long count, string singular, string? plural = null) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + (count == 1 ? singular : plural ?? singular + "s");
}
