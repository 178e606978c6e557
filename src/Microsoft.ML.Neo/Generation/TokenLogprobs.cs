using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Generation;

/// <summary>Scores a sequence in one forward pass: the log-probabilities servers report as <c>prompt_logprobs</c>.</summary>
internal static class TokenLogprobs
{
    /// <summary>
    /// For tokens 1 .. T − 1 of <paramref name="tokenIds"/> (the first has no context): the model's distribution at the
    /// position before, as the token's logprob and rank and the top <paramref name="topK"/> ids. Also returns the logits
    /// of the last position, which pick the next token.
    /// </summary>
    public static SequenceScores Score(DecoderForCausalLM model, IReadOnlyList<int> tokenIds, int topK) =>
        ScoreBatch(model, new[] { tokenIds }, topK)[0];

    /// <summary>
    /// <see cref="Score"/> for several sequences in one forward pass: they are padded on the right, which causal attention
    /// never lets an earlier position see, so each result equals scoring that sequence alone up to rounding.
    /// </summary>
    public static SequenceScores[] ScoreBatch(DecoderForCausalLM model, IReadOnlyList<IReadOnlyList<int>> sequences, int topK)
    {
        if (sequences.Count == 0 || sequences.Any(s => s.Count == 0)) throw new ArgumentException("Every sequence needs at least one token id.", nameof(sequences));
        int longest = sequences.Max(s => s.Count);
        var flat = new long[sequences.Count * longest];
        for (int b = 0; b < sequences.Count; b++)
            for (int t = 0; t < sequences[b].Count; t++) flat[b * longest + t] = sequences[b][t];
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var input = tensor(flat, new long[] { sequences.Count, longest }).to(model.Device); // [B, L]
        var logits = model.Forward(input).to(ScalarType.Float32);                         // [B, L, V]
        NonFiniteLogitsException.ThrowIfAny(logits, "The model");
        int vocabulary = (int)logits.shape[2], k = Math.Min(topK, vocabulary);
        // Every position of every sequence at once (padding included, then skipped): a few large operations, not many small ones.
        var logprobs = logits.log_softmax(-1);                                            // [B, L, V]
        var next = tensor(flat, new long[] { sequences.Count, longest }).to(model.Device)
            .roll(-1, 1).unsqueeze(2);                                                    // [B, L, 1] the token after each position
        var actual = logprobs.gather(2, next);                                            // [B, L, 1]
        var ranks = logprobs.gt(actual).sum(2).add(1).cpu().data<long>().ToArray();       // [B, L]
        var actualValues = actual.squeeze(2).cpu().data<float>().ToArray();               // [B, L]
        float[] topValues = Array.Empty<float>();
        long[] topIds = Array.Empty<long>();
        if (k > 0)
        {
            var (values, indices) = logprobs.topk(k, dim: -1);                            // [B, L, K] each
            topValues = values.cpu().data<float>().ToArray();
            topIds = indices.cpu().data<long>().ToArray();
        }
        var lastLogits = logits.cpu().data<float>();
        var results = new SequenceScores[sequences.Count];
        for (int b = 0; b < sequences.Count; b++)
        {
            var sequence = sequences[b];
            int count = sequence.Count;
            var nextLogits = new float[vocabulary];
            long lastRow = ((long)b * longest + count - 1) * vocabulary;
            for (int v = 0; v < vocabulary; v++) nextLogits[v] = lastLogits[lastRow + v];
            var positions = new PositionLogprobs[count - 1];
            for (int t = 0; t < positions.Length; t++)
            {
                int row = b * longest + t;
                positions[t] = new PositionLogprobs(sequence[t + 1], actualValues[row], (int)ranks[row],
                    topIds.AsSpan(row * k, k).ToArray().Select(id => (int)id).ToArray(), topValues.AsSpan(row * k, k).ToArray());
            }
            results[b] = new SequenceScores(positions, nextLogits);
        }
        return results;
    }
}
