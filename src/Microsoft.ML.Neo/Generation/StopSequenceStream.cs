namespace Microsoft.ML.Neo.Generation;

/// <summary>
/// The one place a generation's text is cut at stop sequences and released piece by piece as it is streamed: chat
/// (<see cref="CausalLMChatClient"/>) and NeoServer's completions both feed it the text decoded after every token.
/// Streamed text cannot be taken back, so a piece is held back while it ends in an incomplete character (a byte-level
/// token still to come) or in what could be the start of a stop sequence split across tokens.
/// </summary>
internal sealed class StopSequenceStream
{
    private readonly IReadOnlyList<string> stops;
    private readonly List<int> tokenStarts = new(); // where each fed token's text starts in the decoded text

    /// <param name="stops">The stop sequences; empty ones are ignored.</param>
    public StopSequenceStream(IEnumerable<string>? stops) =>
        this.stops = stops?.Where(s => !string.IsNullOrEmpty(s)).ToList() ?? new List<string>();

    /// <summary>The text so far, cut before the first stop sequence.</summary>
    public string Text { get; private set; } = "";

    /// <summary>What has been released so far: always a prefix of <see cref="Text"/>.</summary>
    public string Released { get; private set; } = "";

    /// <summary>A stop sequence appeared: the generation should end.</summary>
    public bool Stopped { get; private set; }

    /// <summary>
    /// How many of the fed tokens the returned text holds: all of them, or after a stop, those whose text starts before
    /// the cut (the token that completes the stop sequence is kept only when part of its text is returned). Per-token
    /// outputs such as logprobs cover these.
    /// </summary>
    public int KeptTokens => Stopped ? tokenStarts.Count(start => start < Text.Length) : tokenStarts.Count;

    /// <summary>
    /// Takes the whole text decoded after one more token and returns the piece that may be sent now (often empty).
    /// After <see cref="Stopped"/> nothing more is taken.
    /// </summary>
    public string Advance(string decoded)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        if (Stopped) throw new InvalidOperationException("The stream has stopped: a stop sequence appeared.");
        tokenStarts.Add(Text.TrimEnd('\uFFFD').Length); // a partial character belongs to the token that completes it
        int stopAt = FirstStop(decoded);
        Stopped = stopAt >= 0;
        Text = Stopped ? decoded[..stopAt] : decoded;
        if (!Stopped && Text.EndsWith('\uFFFD')) return ""; // part of a character: its other bytes come with the next token
        string safe = Stopped ? Text : Text[..(Text.Length - PossibleStopStart(Text))];
        return Release(safe);
    }

    /// <summary>The generation ended: whatever was held back (a partial character, a possible stop start) goes out.</summary>
    public string Finish() => Release(Text);

    /// <summary>The text up to the first stop sequence, and whether one was found: for answers that are not streamed.</summary>
    public static (string Text, bool Stopped) Cut(string text, IEnumerable<string>? stops)
    {
        var stream = new StopSequenceStream(stops);
        stream.Advance(text);
        return (stream.Text, stream.Stopped);
    }

    private string Release(string safe)
    {
        if (safe.Length <= Released.Length || !safe.StartsWith(Released, StringComparison.Ordinal)) return "";
        string piece = safe[Released.Length..];
        Released = safe;
        return piece;
    }

    private int FirstStop(string text)
    {
        int first = -1;
        foreach (var stop in stops)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        return first;
    }

    // How many chars at the end of text are a proper prefix of some stop sequence.
    private int PossibleStopStart(string text)
    {
        int longest = 0;
        foreach (var stop in stops)
        {
            for (int length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length))) { longest = length; break; }
            }
        }
        return longest;
    }
}
