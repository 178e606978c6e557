using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// Causal grouped-query self-attention with an optional KV cache. What varies by family is read from the config:
/// fused or separate q/k/v projections, biases, per-head q/k norms, rotation (full, partial or none), the score scale,
/// and a sliding window.
/// </summary>
internal sealed class DecoderAttention : nn.Module
{
    private readonly AdaptableLinear? q_proj;
    private readonly AdaptableLinear? k_proj;
    private readonly AdaptableLinear? v_proj;
    private readonly AdaptableLinear? qkv_proj;
    private readonly AdaptableLinear o_proj;
    private readonly RmsNorm? q_norm;
    private readonly RmsNorm? k_norm;
    private readonly int heads;
    private readonly int kvHeads;
    private readonly int headDim;
    private readonly bool rotates;
    private readonly int? window;
    private readonly double queryRescale; // the family's score scale over SDPA's 1/√D; 1 for most families
    private readonly int layer;

    /// <summary>
    /// Called in each forward pass, when set, with what SDPA reads and gives (the attention analysis reads the maps
    /// from it). The tensors belong to the pass: copy what is kept.
    /// </summary>
    internal Action<AttentionTrace>? Trace { get; set; }

    public DecoderAttention(ModelConfig config, int layer, ScalarType dtype) : base("self_attn")
    {
        this.layer = layer;
        heads = config.NumAttentionHeads;
        kvHeads = config.NumKeyValueHeads;
        headDim = config.ResolvedHeadDim;
        rotates = config.UsesRope(layer);
        window = config.IsSlidingLayer(layer) ? config.SlidingWindow : null;
        // Exactly 1 unless the family sets its own scale, so other families' scores stay bit-identical.
        queryRescale = config.QueryPreAttentionScalar is double scalar ? Math.Sqrt(headDim / scalar) : 1.0;
        if (config.FusedProjections)
        {
            qkv_proj = new AdaptableLinear("qkv_proj", config.HiddenSize, (heads + 2 * kvHeads) * headDim, config.QkvBias, dtype);
        }
        else
        {
            q_proj = new AdaptableLinear("q_proj", config.HiddenSize, heads * headDim, config.QkvBias, dtype);
            k_proj = new AdaptableLinear("k_proj", config.HiddenSize, kvHeads * headDim, config.QkvBias, dtype);
            v_proj = new AdaptableLinear("v_proj", config.HiddenSize, kvHeads * headDim, config.QkvBias, dtype);
        }
        o_proj = new AdaptableLinear("o_proj", heads * headDim, config.HiddenSize, config.AttentionBias, dtype);
        if (config.QueryKeyNorm)
        {
            q_norm = new RmsNorm("q_norm", headDim, config.RmsNormEps, dtype, config.NormWeightOffset);
            k_norm = new RmsNorm("k_norm", headDim, config.RmsNormEps, dtype, config.NormWeightOffset);
        }
        RegisterComponents();
    }

    /// <param name="x">[B, T, C] hidden states.</param>
    /// <param name="cos">[T, R] rotary cosines for these positions (unused by a layer without rotation).</param>
    /// <param name="sin">[T, R] rotary sines.</param>
    /// <param name="cache">This layer's cache entry, extended in place; null when not caching.</param>
    /// <param name="leftPadding">[B] int64 pads opening each row of a left-padded batch, hidden from every query; null: none.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, LayerKvCache? cache, Tensor? leftPadding = null)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], length = x.shape[1];
        var (q, k, v) = Project(x);
        q = q.view(batch, length, heads, headDim).transpose(1, 2);   // [B, H, T, D]
        k = k.view(batch, length, kvHeads, headDim).transpose(1, 2); // [B, KV, T, D]
        v = v.view(batch, length, kvHeads, headDim).transpose(1, 2); // [B, KV, T, D]
        if (q_norm is not null)
        {
            q = q_norm.forward(q); // per head, over D
            k = k_norm!.forward(k);
        }
        if (rotates)
        {
            q = RotaryEmbedding.Apply(q, cos, sin);
            k = RotaryEmbedding.Apply(k, cos, sin);
        }

        long past = 0;
        if (cache is not null)
        {
            past = cache.Length;
            (k, v) = cache.Append(k, v); // [B, KV, past+T, D]
        }

        k = RepeatKeyValueHeads(k); // [B, H, S, D]
        v = RepeatKeyValueHeads(v); // [B, H, S, D]
        if (queryRescale != 1.0)
        {
            // SDPA (TorchSharp 0.107 takes no scale) divides by √D; the family's scale is applied through the queries.
            using var rescale = queryRescale.ToScalar();
            q = q * rescale;
        }

        Tensor attended;
        long total = past + length;
        if (leftPadding is not null)
        {
            attended = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: AllowedKeys(past, length, x.device, leftPadding)); // [B, H, T, D]
        }
        else if (past == 0 && (window is null || total <= window))
        {
            attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: length > 1); // [B, H, T, D]
        }
        else
        {
            attended = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: AllowedKeys(past, length, x.device)); // [B, H, T, D]
        }

        if (Trace is { } trace)
        {
            var allowed = leftPadding is null ? AllowedKeys(past, length, x.device) : AllowedKeys(past, length, x.device, leftPadding);
            trace(new AttentionTrace(layer, q, k, v, attended, allowed));
        }

        var merged = attended.transpose(1, 2).reshape(batch, length, heads * headDim); // [B, T, H*D]
        return o_proj.forward(merged).MoveToOuterDisposeScope();
    }

    private (Tensor Q, Tensor K, Tensor V) Project(Tensor x)
    {
        if (qkv_proj is null) return (q_proj!.forward(x), k_proj!.forward(x), v_proj!.forward(x));
        var qkv = qkv_proj.forward(x); // [B, T, (H + 2 KV) * D], queries first, then keys, then values
        long queryWidth = heads * headDim, keyWidth = kvHeads * headDim;
        return (qkv.narrow(-1, 0, queryWidth), qkv.narrow(-1, queryWidth, keyWidth), qkv.narrow(-1, queryWidth + keyWidth, keyWidth));
    }

    // Query i sits at absolute position p = past + i and may see keys j ≤ p; with a window w, only p − w < j.
    private Tensor AllowedKeys(long past, long length, Device device)
    {
        long total = past + length;
        var queryPositions = arange(past, total, dtype: ScalarType.Int64, device: device).unsqueeze(1); // [T, 1]
        var keyPositions = arange(0, total, dtype: ScalarType.Int64, device: device).unsqueeze(0);      // [1, S]
        var allowed = keyPositions <= queryPositions;                                                    // [T, S]
        if (window is int w)
        {
            using var reach = w.ToScalar();
            allowed = allowed.logical_and(keyPositions > (queryPositions - reach));
        }
        return allowed;
    }

    // As above for a left-padded batch, [B, 1, T, S]: row b's keys before its pads' end are hidden. A pad query would
    // then see nothing (and SDPA would give NaN, which masked-out values still carry into real rows), so it sees itself.
    private Tensor AllowedKeys(long past, long length, Device device, Tensor leftPadding)
    {
        long total = past + length;
        var allowed = AllowedKeys(past, length, device).unsqueeze(0);                                          // [1, T, S]
        var keyPositions = arange(0, total, dtype: ScalarType.Int64, device: device).view(1, 1, total);          // [1, 1, S]
        var real = keyPositions >= leftPadding.view(-1, 1, 1);                                                  // [B, 1, S]
        var queryPositions = arange(past, total, dtype: ScalarType.Int64, device: device).view(1, length, 1);   // [1, T, 1]
        var itself = keyPositions == queryPositions;                                                            // [1, T, S]
        return allowed.logical_and(real).logical_or(itself).unsqueeze(1);                                       // [B, 1, T, S]
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

/// <summary>One attention layer's forward, as SDPA saw it.</summary>
/// <param name="Queries">[B, H, T, D], after norms, rotation and the family's scale: SDPA divides q·k by √D.</param>
/// <param name="Keys">[B, H, S, D], the cache's past keys included and each key head repeated for its query heads.</param>
/// <param name="Values">[B, H, S, D], likewise.</param>
/// <param name="Attended">[B, H, T, D], SDPA's output before the heads are merged.</param>
/// <param name="Allowed">[T, S] or [B, 1, T, S] bool: the keys each query may see (causal, window, padding).</param>
internal sealed record AttentionTrace(int Layer, Tensor Queries, Tensor Keys, Tensor Values, Tensor Attended, Tensor Allowed);
