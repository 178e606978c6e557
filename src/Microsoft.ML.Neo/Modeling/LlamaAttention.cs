using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>Causal grouped-query self-attention with rotary positions and an optional KV cache.</summary>
internal sealed class LlamaAttention : nn.Module
{
    private readonly AdaptableLinear q_proj;
    private readonly AdaptableLinear k_proj;
    private readonly AdaptableLinear v_proj;
    private readonly AdaptableLinear o_proj;
    private readonly int heads;
    private readonly int kvHeads;
    private readonly int headDim;

    public LlamaAttention(LlamaConfig config, ScalarType dtype) : base("self_attn")
    {
        heads = config.NumAttentionHeads;
        kvHeads = config.NumKeyValueHeads;
        headDim = config.ResolvedHeadDim;
        q_proj = new AdaptableLinear("q_proj", config.HiddenSize, heads * headDim, config.QkvBias, dtype);
        k_proj = new AdaptableLinear("k_proj", config.HiddenSize, kvHeads * headDim, config.QkvBias, dtype);
        v_proj = new AdaptableLinear("v_proj", config.HiddenSize, kvHeads * headDim, config.QkvBias, dtype);
        o_proj = new AdaptableLinear("o_proj", heads * headDim, config.HiddenSize, config.AttentionBias, dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, T, C] hidden states.</param>
    /// <param name="cos">[T, D] rotary cosines for these positions.</param>
    /// <param name="sin">[T, D] rotary sines.</param>
    /// <param name="cache">This layer's cache entry, extended in place; null when not caching.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, LayerKvCache? cache)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], length = x.shape[1];
        var q = q_proj.forward(x).view(batch, length, heads, headDim).transpose(1, 2);   // [B, H, T, D]
        var k = k_proj.forward(x).view(batch, length, kvHeads, headDim).transpose(1, 2); // [B, KV, T, D]
        var v = v_proj.forward(x).view(batch, length, kvHeads, headDim).transpose(1, 2); // [B, KV, T, D]
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);

        long past = 0;
        if (cache is not null)
        {
            past = cache.Length;
            (k, v) = cache.Append(k, v); // [B, KV, past+T, D]
        }

        k = RepeatKeyValueHeads(k); // [B, H, S, D]
        v = RepeatKeyValueHeads(v); // [B, H, S, D]

        Tensor attended;
        if (past == 0)
        {
            attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: length > 1); // [B, H, T, D]
        }
        else
        {
            // Query i sits at absolute position past + i and may see keys 0 .. past + i.
            long total = past + length;
            var allowed = ones(length, total, dtype: ScalarType.Bool, device: x.device).tril(past); // [T, S]
            attended = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: allowed); // [B, H, T, D]
        }

        var merged = attended.transpose(1, 2).reshape(batch, length, heads * headDim); // [B, T, H*D]
        return o_proj.forward(merged).MoveToOuterDisposeScope();
    }

    // Query head h reads key/value head h / (H / KV), as transformers' repeat_kv arranges them.
    private Tensor RepeatKeyValueHeads(Tensor kv)
    {
        int groups = heads / kvHeads;
        if (groups == 1) return kv;
        long batch = kv.shape[0], seq = kv.shape[2];
        return kv.unsqueeze(2)                                    // [B, KV, 1, S, D]
            .expand(batch, kvHeads, groups, seq, headDim)         // [B, KV, G, S, D]
            .reshape(batch, heads, seq, headDim);                 // [B, H, S, D]
    }
}
