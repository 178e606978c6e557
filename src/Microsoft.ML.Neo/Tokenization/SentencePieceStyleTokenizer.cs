using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// What SentencePiece's BPE and Unigram models share, as a Microsoft.ML.Tokenizers <see cref="Tokenizer"/>: special
/// tokens written in the text are split out first (as transformers does), each run between them is normalized
/// (<see cref="SentencePieceNormalizer"/>), segmented into pieces by the model, and pieces outside the vocabulary become
/// their UTF-8 byte pieces (byte fallback) or one unknown token per run.
/// </summary>
internal abstract class SentencePieceStyleTokenizer : Tokenizer
{
    private const char Marker = '\u2581';

    private readonly string[] pieces;
    private readonly IReadOnlyDictionary<string, int> specialTokens;
    private readonly SpecialTokenSplitter specialTokenSplitter;
    private readonly SentencePieceNormalizer normalizer;
    private readonly int? unknownId;
    private readonly int[]? byteIds;

    protected SentencePieceStyleTokenizer(IReadOnlyList<string> piecesById, IReadOnlyDictionary<string, int> specialTokens,
        int? unknownId, bool byteFallback, SentencePieceNormalizer normalizer)
    {
        pieces = piecesById.ToArray();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < pieces.Length; id++) ids.TryAdd(pieces[id], id);
        Vocabulary = ids;
        this.specialTokens = specialTokens;
        specialTokenSplitter = new SpecialTokenSplitter(specialTokens.Keys);
        this.unknownId = unknownId;
        this.normalizer = normalizer;
        if (byteFallback)
        {
            byteIds = new int[256];
            for (int b = 0; b < 256; b++) byteIds[b] = ids.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
    }

    /// <summary>Every piece's id, by its text.</summary>
    public IReadOnlyDictionary<string, int> Vocabulary { get; }

    /// <summary>
    /// Splits normalized text into pieces. <paramref name="origins"/> holds, per char, the offset in the original text
    /// it came from. A piece of -1 stands for text outside the vocabulary, which the caller replaces by byte pieces or
    /// the unknown token.
    /// </summary>
    protected abstract List<(int Id, int Start, int End)> Segment(string normalized, int[] origins);

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        string input = text ?? textSpan.ToString();
        var tokens = new List<EncodedToken>();
        foreach (var (offset, length, isSpecial) in specialTokenSplitter.Split(input))
        {
            if (!isSpecial)
            {
                EncodeRun(input, offset, length, tokens);
                continue;
            }
            string special = input.Substring(offset, length);
            tokens.Add(new EncodedToken(specialTokens[special], special, new Range(offset, offset + length)));
        }
        int limit = settings.MaxTokenCount;
        if (limit > 0 && tokens.Count > limit) tokens.RemoveRange(limit, tokens.Count - limit);
        int consumed = tokens.Count == 0 ? 0 : tokens[^1].Offset.End.Value;
        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = limit > 0 ? consumed : input.Length };
    }

    private void EncodeRun(string text, int offset, int length, List<EncodedToken> tokens)
    {
        if (length == 0) return;
        var (normalized, origins) = normalizer.Normalize(text, offset, length);
        if (normalized.Length == 0) return;
        var segments = Segment(normalized, origins);
        for (int s = 0; s < segments.Count; s++)
        {
            var (id, start, end) = segments[s];
            // Token ranges run from where this piece's text starts to where the next one's does.
            int from = origins[start];
            int to = s + 1 < segments.Count ? origins[segments[s + 1].Start] : offset + length;
            var range = new Range(from, Math.Max(from, to));
            if (id >= 0)
            {
                tokens.Add(new EncodedToken(id, pieces[id], range));
                continue;
            }
            string unknown = normalized[start..end];
            var bytes = Encoding.UTF8.GetBytes(unknown);
            if (byteIds is not null && bytes.All(b => byteIds[b] >= 0))
            {
                foreach (var b in bytes) tokens.Add(new EncodedToken(byteIds[b], pieces[byteIds[b]], range));
            }
            else if (unknownId is int unk)
            {
                // A run of unknown text is one unknown token, as in the sentencepiece library.
                if (s > 0 && segments[s - 1].Id < 0 && tokens.Count > 0 && tokens[^1].Id == unk)
                    tokens[^1] = new EncodedToken(unk, pieces[unk], new Range(tokens[^1].Offset.Start, range.End));
                else
                    tokens.Add(new EncodedToken(unk, pieces[unk], range));
            }
            else
            {
                throw new InvalidOperationException($"'{unknown}' is not in the vocabulary and the tokenizer has no byte pieces or unknown token.");
            }
        }
    }

    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (id < 0 || id >= pieces.Length) continue;
            string piece = pieces[id];
            if (byteIds is not null && IsBytePiece(piece)) bytes.Add(Convert.ToByte(piece.Substring(3, 2), 16));
            else bytes.AddRange(Encoding.UTF8.GetBytes(piece.Replace(Marker, ' ')));
        }
        string text = Encoding.UTF8.GetString(bytes.ToArray());
        // The decoder strips the space that stands for the prepended '▁'.
        return normalizer.AddsPrefix && text.StartsWith(' ') ? text[1..] : text;
    }

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        var list = ids as IReadOnlyCollection<int> ?? ids.ToList();
        string text = Decode(list);
        idsConsumed = 0;
        charsWritten = 0;
        if (text.Length > destination.Length) return OperationStatus.DestinationTooSmall;
        text.AsSpan().CopyTo(destination);
        idsConsumed = list.Count;
        charsWritten = text.Length;
        return OperationStatus.Done;
    }

    private static bool IsBytePiece(string text) =>
        text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>' && Uri.IsHexDigit(text[3]) && Uri.IsHexDigit(text[4]);
}
