namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// SentencePiece-style BPE (Llama 2, TinyLlama, Mistral, and models trained with <c>--model_type=bpe</c>): each
/// character starts as a piece, then adjacent pieces are merged best pair first, leftmost first among equals, as both
/// the sentencepiece library and Hugging Face tokenizers do. (Microsoft.ML.Tokenizers 2.0.1's own SentencePiece BPE
/// merges the rightmost of equal pairs first, so "```" or runs of spaces came out differently from the reference.)
/// </summary>
internal sealed class SentencePieceBpeTokenizer : SentencePieceStyleTokenizer
{
    private readonly Func<int, int, (double Priority, int MergedId)?> merge;

    /// <param name="merge">For two adjacent piece ids: the merged piece and its priority (lower merges first), or null.</param>
    public SentencePieceBpeTokenizer(IReadOnlyList<string> piecesById, IReadOnlyDictionary<string, int> specialTokens,
        Func<int, int, (double Priority, int MergedId)?> merge, int? unknownId, bool byteFallback, SentencePieceNormalizer normalizer)
        : base(piecesById, specialTokens, unknownId, byteFallback, normalizer)
    {
        this.merge = merge;
    }

    /// <summary>From a tokenizer.json merge list: a pair merges when listed, earlier entries first.</summary>
    public static SentencePieceBpeTokenizer FromMerges(IReadOnlyList<string> piecesById, IReadOnlyList<(string Left, string Right)> merges,
        IReadOnlyDictionary<string, int> specialTokens, int? unknownId, bool byteFallback, SentencePieceNormalizer normalizer)
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
            (l, r) => ranks.TryGetValue((l, r), out var m) ? m : null, unknownId, byteFallback, normalizer);
    }

    /// <summary>From a SentencePiece model: a pair merges when it joins into a normal piece, highest score first.</summary>
    public static SentencePieceBpeTokenizer FromScores(IReadOnlyList<SentencePiece> piecesById, IReadOnlyDictionary<string, int> specialTokens,
        int? unknownId, bool byteFallback, SentencePieceNormalizer normalizer)
    {
        var mergeable = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < piecesById.Count; id++)
        {
            if (piecesById[id].Type is SentencePieceType.Normal or SentencePieceType.UserDefined) mergeable.TryAdd(piecesById[id].Text, id);
        }
        var texts = piecesById.Select(p => p.Text).ToArray();
        return new SentencePieceBpeTokenizer(texts, specialTokens,
            (l, r) => mergeable.TryGetValue(texts[l] + texts[r], out int merged) ? (-piecesById[merged].Score, merged) : null,
            unknownId, byteFallback, normalizer);
    }

    protected override List<(int Id, int Start, int End)> Segment(string normalized, int[] origins)
    {
        // One symbol per character (a surrogate pair is one character); -1 for characters outside the vocabulary.
        var ids = new List<int>(normalized.Length);
        var starts = new List<int>(normalized.Length);
        for (int i = 0; i < normalized.Length;)
        {
            int width = char.IsSurrogatePair(normalized, i) ? 2 : 1;
            ids.Add(Vocabulary.TryGetValue(normalized.Substring(i, width), out int id) ? id : -1);
            starts.Add(i);
            i += width;
        }
        return MergeAll(ids, starts, normalized.Length);
    }

    // Merges the best adjacent pair until none is left: lowest priority first, then leftmost.
    private List<(int Id, int Start, int End)> MergeAll(List<int> ids, List<int> starts, int length)
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
            if (id[left] < 0 || id[right] < 0) return; // unknown characters never merge
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

        var result = new List<(int, int, int)>();
        for (int i = 0; i >= 0 && i < n; i = next[i]) result.Add((id[i], starts[i], next[i] >= 0 ? starts[next[i]] : length));
        return result;
    }
}
