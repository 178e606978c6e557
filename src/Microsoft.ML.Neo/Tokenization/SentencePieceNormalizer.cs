using System.Text;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// SentencePiece's normalizer: rewrites text by the model's precompiled rules (longest match first), drops leading,
/// trailing and repeated whitespace when <c>remove_extra_whitespaces</c> is on, prepends the dummy-prefix '▁' and
/// turns spaces into '▁'. With no rules and no whitespace removal it is the Llama converters' Prepend + Replace.
/// </summary>
internal sealed class SentencePieceNormalizer
{
    private static readonly byte[] Marker = Encoding.UTF8.GetBytes("\u2581");

    private readonly PrecompiledCharsMap? rules;
    private readonly PrefixScheme prefixScheme;
    private readonly bool removeExtraWhitespaces;
    private readonly bool escapeWhitespaces;

    /// <summary>Where a '▁' is prepended: every run of text between special tokens (the Prepend normalizer and the
    /// sentencepiece library), only the run at the start of the text (Metaspace's "first"), or nowhere.</summary>
    public enum PrefixScheme { Always, First, Never }

    /// <param name="rules">The precompiled rules, or null to keep characters as they are.</param>
    /// <param name="escapeWhitespaces">Whether spaces become '▁' (sentencepiece's default, and every Llama model's).</param>
    public SentencePieceNormalizer(PrecompiledCharsMap? rules, PrefixScheme prefixScheme, bool removeExtraWhitespaces, bool escapeWhitespaces = true)
    {
        this.rules = rules;
        this.prefixScheme = prefixScheme;
        this.removeExtraWhitespaces = removeExtraWhitespaces;
        this.escapeWhitespaces = escapeWhitespaces;
    }

    /// <summary>True when decoding should drop the space that stands for a prepended '▁'.</summary>
    public bool AddsPrefix => prefixScheme != PrefixScheme.Never;

    /// <summary>
    /// Normalizes <paramref name="text"/>[offset, offset + length). Returns the normalized text and, for each of its
    /// chars, the offset in <paramref name="text"/> of the character it came from.
    /// </summary>
    public (string Text, int[] Origins) Normalize(string text, int offset, int length)
    {
        // Rules match UTF-8 bytes, so work in bytes and remember each byte's char offset.
        var input = Encoding.UTF8.GetBytes(text.ToCharArray(offset, length));
        var charOfByte = CharOffsetsOfBytes(text, offset, length, input.Length);
        var output = new List<byte>(input.Length + 3);
        var origins = new List<int>(input.Length + 3); // byte offset in input, per output byte

        int position = 0;
        if (removeExtraWhitespaces)
        {
            while (position < input.Length && NextPiece(input, position, out var piece) is int consumed && piece.SequenceEqual(" "u8))
                position += consumed;
        }
        if (position == input.Length) return ("", Array.Empty<int>());

        if (prefixScheme == PrefixScheme.Always || (prefixScheme == PrefixScheme.First && offset == 0))
            Append(escapeWhitespaces ? Marker : " "u8, position);

        bool previousIsSpace = removeExtraWhitespaces;
        while (position < input.Length)
        {
            int consumed = NextPiece(input, position, out var piece);
            // A piece's leading spaces go when the text before it already ended with one.
            while (previousIsSpace && !piece.IsEmpty && piece[0] == (byte)' ') piece = piece[1..];
            if (!piece.IsEmpty)
            {
                foreach (byte b in piece)
                {
                    if (b == (byte)' ' && escapeWhitespaces) Append(Marker, position);
                    else Append(new[] { b }, position);
                }
                previousIsSpace = piece[^1] == (byte)' ';
            }
            position += consumed;
            if (!removeExtraWhitespaces) previousIsSpace = false;
        }

        if (removeExtraWhitespaces)
        {
            var space = escapeWhitespaces ? Marker : " "u8.ToArray();
            while (output.Count >= space.Length && output.Skip(output.Count - space.Length).SequenceEqual(space))
            {
                output.RemoveRange(output.Count - space.Length, space.Length);
                origins.RemoveRange(origins.Count - space.Length, space.Length);
            }
        }
        return ToChars(output, origins, charOfByte);

        void Append(ReadOnlySpan<byte> bytes, int from)
        {
            foreach (byte b in bytes)
            {
                output.Add(b);
                origins.Add(from);
            }
        }
    }

    // The replacement for the text at position and how many bytes it consumes: the longest rule, else the character.
    private int NextPiece(byte[] input, int position, out ReadOnlySpan<byte> piece)
    {
        var rest = input.AsSpan(position);
        if (rules is not null)
        {
            int matched = rules.LongestMatch(rest, out piece);
            if (matched > 0) return matched;
        }
        int width = Utf8Width(rest[0]);
        piece = rest[..Math.Min(width, rest.Length)];
        return piece.Length;
    }

    private static int Utf8Width(byte lead) => lead switch
    {
        < 0x80 => 1,
        >= 0xF0 => 4,
        >= 0xE0 => 3,
        >= 0xC0 => 2,
        _ => 1,
    };

    // For each byte of text[offset, offset + length) in UTF-8, the char offset in text it belongs to.
    private static int[] CharOffsetsOfBytes(string text, int offset, int length, int byteCount)
    {
        var result = new int[byteCount];
        int b = 0;
        for (int i = offset; i < offset + length;)
        {
            int width = char.IsSurrogatePair(text, i) ? 2 : 1;
            int bytes = Encoding.UTF8.GetByteCount(text.AsSpan(i, width));
            for (int k = 0; k < bytes; k++) result[b++] = i;
            i += width;
        }
        return result;
    }

    private static (string, int[]) ToChars(List<byte> output, List<int> originByte, int[] charOfByte)
    {
        var bytes = output.ToArray();
        string normalized = Encoding.UTF8.GetString(bytes);
        var origins = new int[normalized.Length];
        int at = 0;
        for (int c = 0; c < normalized.Length;)
        {
            int width = char.IsSurrogatePair(normalized, c) ? 2 : 1;
            int origin = charOfByte[originByte[at]];
            for (int k = 0; k < width; k++) origins[c + k] = origin;
            at += Encoding.UTF8.GetByteCount(normalized.AsSpan(c, width));
            c += width;
        }
        return (normalized, origins);
    }
}
