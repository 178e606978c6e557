using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Data;

/// <summary>
/// A right-padded batch for next-token training. Inputs are tokens 0..L−2 and labels tokens 1..L−1 of each
/// example; labels of prompt and padding positions are −100. Right padding needs no attention mask: causal
/// attention never lets a real position see the padding after it.
/// </summary>
internal static class TokenBatch
{
    /// <returns>Inputs [B, L−1] and labels [B, L−1], both int64, owned by the caller's dispose scope.</returns>
    public static (Tensor Inputs, Tensor Labels) Create(IReadOnlyList<EncodedExample> examples, int padId)
    {
        int length = examples.Max(e => e.TokenIds.Length) - 1;
        var inputs = new long[examples.Count * length];
        var labels = new long[examples.Count * length];
        Array.Fill(inputs, padId);
        Array.Fill(labels, Distillation.DistillationLoss.IgnoreIndex);
        for (int row = 0; row < examples.Count; row++)
        {
            var ids = examples[row].TokenIds;
            int offset = row * length;
            for (int t = 0; t < ids.Length - 1; t++)
            {
                inputs[offset + t] = ids[t];
                // Position t predicts token t+1; only response tokens carry loss.
                if (t + 1 >= examples[row].ResponseStart) labels[offset + t] = ids[t + 1];
            }
        }
        var shape = new long[] { examples.Count, length };
        return (tensor(inputs, shape), tensor(labels, shape));
    }

    /// <summary>Number of label positions that carry loss.</summary>
    public static int CountResponseTokens(IEnumerable<EncodedExample> examples) => examples.Sum(e => e.ResponseTokenCount);
}
