namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// SentencePiece's Unigram model (sentencepiece's default <c>--model_type</c>): the segmentation with the highest
/// total piece score, found by Viterbi over character positions. Near-ties resolve as in the sentencepiece library:
/// a candidate path's score is summed in double precision, compared with the best so far, and kept in single
/// precision; the first of equal paths found wins. (Microsoft.ML.Tokenizers
/// 2.0.1's Unigram resolved some ties the other way and emitted one unknown token per character.)
/// </summary>
internal sealed class SentencePieceUnigramTokenizer : SentencePieceStyleTokenizer
{
    // sentencepiece scores unknown characters this far below the worst piece.
    private const float UnknownPenalty = 10f;
    // sentencepiece starts its search for the best score at FLT_MIN, the smallest normal float.
    private const float FloatMin = 1.17549435E-38f;

    private readonly Dictionary<string, (int Id, double Score)> candidates;
    private readonly int longestPiece;
    private readonly float unknownScore;

    public SentencePieceUnigramTokenizer(IReadOnlyList<SentencePiece> piecesById, IReadOnlyDictionary<string, int> specialTokens,
        int? unknownId, bool byteFallback, SentencePieceNormalizer normalizer)
        : base(piecesById.Select(p => p.Text).ToArray(), specialTokens, unknownId, byteFallback, normalizer)
    {
        float min = float.MaxValue, max = FloatMin;
        foreach (var piece in piecesById.Where(p => p.Type == SentencePieceType.Normal))
        {
            min = Math.Min(min, piece.Score);
            max = Math.Max(max, piece.Score);
        }
        unknownScore = min - UnknownPenalty;
        candidates = new Dictionary<string, (int, double)>(StringComparer.Ordinal);
        for (int id = 0; id < piecesById.Count; id++)
        {
            var piece = piecesById[id];
            if (piece.Text.Length == 0) continue;
            // User-defined pieces get a bonus that makes them win over any split of the same text.
            double? score = piece.Type switch
            {
                SentencePieceType.Normal => piece.Score,
                SentencePieceType.UserDefined => System.Text.Encoding.UTF8.GetByteCount(piece.Text) * max - 0.1,
                _ => null,
            };
            if (score is double s && candidates.TryAdd(piece.Text, (id, s))) longestPiece = Math.Max(longestPiece, piece.Text.Length);
        }
    }

    protected override List<(int Id, int Start, int End)> Segment(string normalized, int[] origins)
    {
        int n = normalized.Length;
        // For each char position: the best path ending there (its score, where its last piece starts, and that piece).
        var bestScore = new float[n + 1];
        var lastStart = new int[n + 1];
        var lastId = new int[n + 1];
        Array.Fill(lastStart, -1);

        for (int start = 0; start < n;)
        {
            int width = char.IsSurrogatePair(normalized, start) ? 2 : 1;
            float scoreHere = bestScore[start];
            bool singleCharacterPiece = false;
            for (int length = 1; length <= longestPiece && start + length <= n; length++)
            {
                // Never end a piece inside a surrogate pair.
                if (char.IsHighSurrogate(normalized[start + length - 1]) && start + length < n && char.IsLowSurrogate(normalized[start + length])) continue;
                if (!candidates.TryGetValue(normalized.Substring(start, length), out var piece)) continue;
                Offer(start + length, start, piece.Id, piece.Score + scoreHere);
                if (length == width) singleCharacterPiece = true;
            }
            // A character no piece starts with is unknown (-1), so every position stays reachable.
            if (!singleCharacterPiece) Offer(start + width, start, -1, (float)(unknownScore + scoreHere));
            start += width;
        }

        var result = new List<(int, int, int)>();
        for (int end = n; end > 0; end = lastStart[end]) result.Add((lastId[end], lastStart[end], end));
        result.Reverse();
        return result;

        void Offer(int end, int start, int id, double score)
        {
            if (lastStart[end] != -1 && !(score > bestScore[end])) return; // the first of equal paths wins
            bestScore[end] = (float)score;
            lastStart[end] = start;
            lastId[end] = id;
        }
    }
}
