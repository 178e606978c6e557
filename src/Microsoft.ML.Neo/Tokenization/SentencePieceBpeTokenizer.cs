using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// SentencePiece-style BPE with byte fallback (Llama 2, TinyLlama, Mistral), as a Microsoft.ML.Tokenizers
/// <see cref="Tokenizer"/>. Spaces become '▁', a '▁' is prepended, characters outside the vocabulary fall back to
/// their UTF-8 byte pieces, then adjacent pieces are merged best pair first, leftmost first among equals, as both the
/// sentencepiece library and Hugging Face tokenizers do. (Microsoft.ML.Tokenizers 2.0.1's own SentencePiece BPE merges
/// the rightmost of equal pairs first, so "```" or runs of spaces came out differently from the reference.)
/// </summary>
internal sealed class SentencePieceBpeTokenizer : Tokenizer
{
    private const char Marker = '\u2581';

    private readonly Dictionary<string, int> vocabulary;
    private readonly string[] pieces;
    private readonly IReadOnlyDictionary<string, int> specialTokens;
    private readonly SpecialTokenSplitter specialTokenSplitter;
    private readonly Func<int, int, (double Priority, int MergedId)?> merge;
    private readonly int? unknownId;
    private readonly int[]? byteIds;
    private readonly PrefixScheme prefixScheme;

    /// <summary>Where a '▁' is prepended: every run of text between special tokens (the Prepend normalizer and the
    /// sentencepiece library), only the run at the start of the text (Metaspace's "first"), or nowhere.</summary>
    public enum PrefixScheme { Always, First, Never }

    /// <param name="merge">For two adjacent piece ids: the merged piece and its priority (lower merges first), or null.</param>
    public SentencePieceBpeTokenizer(IReadOnlyList<string> piecesById, IReadOnlyDictionary<string, int> specialTokens,
        Func<int, int, (double Priority, int MergedId)?> merge, int? unknownId, bool byteFallback, PrefixScheme prefixScheme)
    {
        pieces = piecesById.ToArray();
        vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < pieces.Length; id++) vocabulary.TryAdd(pieces[id], id);
        this.specialTokens = specialTokens;
        specialTokenSplitter = new SpecialTokenSplitter(specialTokens.Keys);
        this.merge = merge;
        this.unknownId = unknownId;
        this.prefixScheme = prefixScheme;
        if (byteFallback)
        {
            byteIds = new int[256];
            for (int b = 0; b < 256; b++) byteIds[b] = vocabulary.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
    }

    public IReadOnlyDictionary<string, int> Vocabulary => vocabulary;

    /// <summary>From a tokenizer.json merge list: a pair merges when listed, earlier entries first.</summary>
    public static SentencePieceBpeTokenizer FromMerges(IReadOnlyList<string> piecesById, IReadOnlyList<(string Left, string Right)> merges,
        IReadOnlyDictionary<string, int> specialTokens, int? unknownId, bool byteFallback, PrefixScheme prefixScheme)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < piecesById.Count; id++) ids.TryAdd(piecesById[id], id);
        var ranks = new Dictionary<(int, int), (double, int)>();
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (ids.TryGetValue(left, out int l) && ids.TryGetValue(right, out int r) && ids.TryGetValue(left + right, out int merged))
                ranks.TryAdd((l, r), (rank, merged));
        }
        return new SentencePieceBpeTokenizer(piecesById, specialTokens,
            (l, r) => ranks.TryGetValue((l, r), out var m) ? m : null, unknownId, byteFallback, prefixScheme);
    }

    /// <summary>From a SentencePiece model: a pair merges when it joins into a normal piece, highest score first.</summary>
    public static SentencePieceBpeTokenizer FromScores(IReadOnlyList<SentencePiece> piecesById, IReadOnlyDictionary<string, int> specialTokens,
        int? unknownId, bool byteFallback, PrefixScheme prefixScheme)
    {
        var mergeable = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < piecesById.Count; id++)
        {
            if (piecesById[id].Type is SentencePieceType.Normal or SentencePieceType.UserDefined) mergeable.TryAdd(piecesById[id].Text, id);
        }
        var texts = piecesById.Select(p => p.Text).ToArray();
        return new SentencePieceBpeTokenizer(texts, specialTokens,
            (l, r) => mergeable.TryGetValue(texts[l] + texts[r], out int merged) ? (-piecesById[merged].Score, merged) : null,
            unknownId, byteFallback, prefixScheme);
    }

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        string input = text ?? textSpan.ToString();
        var tokens = new List<EncodedToken>();
        foreach (var (offset, length, isSpecial) in specialTokenSplitter.Split(input))
        {
            if (!isSpecial)
            {
                EncodeSegment(input, offset, length, tokens);
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

    private void EncodeSegment(string text, int offset, int length, List<EncodedToken> tokens)
    {
        if (length == 0) return;
        bool prepend = prefixScheme == PrefixScheme.Always || (prefixScheme == PrefixScheme.First && offset == 0);
        string normalized = (prepend ? Marker.ToString() : "") + text.Substring(offset, length).Replace(' ', Marker);

        // Symbols: one per character (pair of surrogates together), or one per UTF-8 byte when the character is unknown.
        var ids = new List<int>(normalized.Length);
        var origins = new List<int>(normalized.Length); // offset in the original text, for EncodedToken ranges
        for (int i = 0; i < normalized.Length;)
        {
            int width = char.IsSurrogatePair(normalized, i) ? 2 : 1;
            int origin = Math.Clamp(offset + i - (prepend ? 1 : 0), offset, offset + length - 1);
            if (vocabulary.TryGetValue(normalized.Substring(i, width), out int id))
            {
                ids.Add(id);
                origins.Add(origin);
            }
            else
            {
                var bytes = Encoding.UTF8.GetBytes(normalized.Substring(i, width));
                if (byteIds is not null && bytes.All(b => byteIds[b] >= 0))
                {
                    foreach (var b in bytes) { ids.Add(byteIds[b]); origins.Add(origin); }
                }
                else if (unknownId is int unk)
                {
                    // Consecutive unknown characters become one unknown token (fuse_unk).
                    if (ids.Count == 0 || ids[^1] != unk) { ids.Add(unk); origins.Add(origin); }
                }
                else
                {
                    throw new InvalidOperationException($"'{normalized.Substring(i, width)}' is not in the vocabulary and the tokenizer has no byte pieces or unknown token.");
                }
            }
            i += width;
        }

        foreach (var (id, start, end) in MergeAll(ids, origins, offset + length))
            tokens.Add(new EncodedToken(id, pieces[id], new Range(start, end)));
    }

    // Merges the best adjacent pair until none is left: lowest priority first, then leftmost.
    private IEnumerable<(int Id, int Start, int End)> MergeAll(List<int> ids, List<int> origins, int segmentEnd)
    {
        int n = ids.Count;
        var id = ids.ToArray();
        var next = new int[n];
        var previous = new int[n];
        var alive = new bool[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; previous[i] = i - 1; alive[i] = true; }

        var queue = new PriorityQueue<(int Left, int LeftId, int RightId, int Merged), (double, int)>();
        void Offer(int left)
        {
            if (left < 0 || next[left] < 0) return;
            int right = next[left];
            if (merge(id[left], id[right]) is { } m) queue.Enqueue((left, id[left], id[right], m.MergedId), (m.Priority, left));
        }
        for (int i = 0; i + 1 < n; i++) Offer(i);

        while (queue.TryDequeue(out var candidate, out _))
        {
            int left = candidate.Left;
            // Stale entries: either side merged since this pair was queued.
            if (!alive[left] || next[left] < 0 || id[left] != candidate.LeftId || id[next[left]] != candidate.RightId) continue;
            int right = next[left];
            id[left] = candidate.Merged;
            alive[right] = false;
            next[left] = next[right];
            if (next[right] >= 0) previous[next[right]] = left;
            Offer(previous[left]);
            Offer(left);
        }

        for (int i = 0; i >= 0 && i < n; i = next[i])
        {
            int end = next[i] >= 0 ? origins[next[i]] : segmentEnd;
            yield return (id[i], origins[i], Math.Max(end, origins[i]));
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
        return text.StartsWith(' ') ? text[1..] : text;
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
