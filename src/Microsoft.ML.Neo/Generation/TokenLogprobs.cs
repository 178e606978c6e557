using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Generation;

/// <summary>What a model thinks of one token of a sequence, given the tokens before it.</summary>
/// <param name="TokenId">The token that is there.</param>
/// <param name="Logprob">Its log-probability.</param>
/// <param name="Rank">1 + the number of ids the model finds more likely.</param>
/// <param name="TopIds">The model's K most likely ids at this position, most likely first.</param>
/// <param name="TopLogprobs">Their log-probabilities.</param>
internal sealed record PositionLogprobs(int TokenId, float Logprob, int Rank, int[] TopIds, float[] TopLogprobs);

/// <summary>Scores a sequence in one forward pass: the log-probabilities servers report as <c>prompt_logprobs</c>.</summary>
internal static class TokenLogprobs
{
    /// <summary>
    /// For tokens 1 .. T − 1 of <paramref name="tokenIds"/> (the first has no context): the model's distribution at the
    /// position before, as the token's logprob and rank and the top <paramref name="topK"/> ids. Also returns the logits
    /// of the last position, which pick the next token.
    /// </summary>
    public static (PositionLogprobs[] Positions, float[] NextLogits) Score(LlamaForCausalLM model, IReadOnlyList<int> tokenIds, int topK)
    {
        int count = tokenIds.Count;
        if (count == 0) throw new ArgumentException("At least one token id is required.", nameof(tokenIds));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var input = tensor(tokenIds.Select(id => (long)id).ToArray(), new long[] { 1, count }).to(model.Device); // [1, T]
        var logits = model.Forward(input)[0].to(ScalarType.Float32);                                          // [T, V]
        var next = logits[-1].cpu().data<float>().ToArray();
        if (count == 1) return (Array.Empty<PositionLogprobs>(), next);

        var logprobs = logits.narrow(0, 0, count - 1).log_softmax(-1);                                      // [T-1, V]
        var targets = tensor(tokenIds.Skip(1).Select(id => (long)id).ToArray()).to(model.Device);           // [T-1]
        var actual = logprobs.gather(1, targets.unsqueeze(1));                                              // [T-1, 1]
        var ranks = logprobs.gt(actual).sum(1).add(1).cpu().data<long>().ToArray();                         // [T-1]
        var actualValues = actual.squeeze(1).cpu().data<float>().ToArray();
        int k = Math.Min(topK, (int)logprobs.shape[1]);
        float[] topValues = Array.Empty<float>();
        long[] topIds = Array.Empty<long>();
        if (k > 0)
        {
            var (values, indices) = logprobs.topk(k, dim: -1);                                              // [T-1, K] each
            topValues = values.cpu().data<float>().ToArray();
            topIds = indices.cpu().data<long>().ToArray();
        }
        var positions = new PositionLogprobs[count - 1];
        for (int t = 0; t < positions.Length; t++)
        {
            positions[t] = new PositionLogprobs(tokenIds[t + 1], actualValues[t], (int)ranks[t],
                topIds.AsSpan(t * k, k).ToArray().Select(id => (int)id).ToArray(), topValues.AsSpan(t * k, k).ToArray());
        }
        return (positions, next);
    }
}
