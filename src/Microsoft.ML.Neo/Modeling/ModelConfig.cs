using System.Text.Json;
using Microsoft.ML.Neo.Modeling.Families;

namespace Microsoft.ML.Neo;

/// <summary>
/// The architecture of a decoder-only causal LM, as Hugging Face's <c>config.json</c> spells it. The first group of
/// members is what every family has; the second is the switches in which families differ (norms, activation, attention
/// pattern, rotary variant, fused projections). Each family (Modeling/Families/) reads its keys into these switches
/// once; the decoder's building blocks read only the switches, never the family's name.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Number of token ids the embedding and output head cover. At least 1.</summary>
    public int VocabSize { get; init; }

    /// <summary>Width of the residual stream. Must be divisible by <see cref="NumAttentionHeads"/> unless <see cref="HeadDim"/> is set.</summary>
    public int HiddenSize { get; init; }

    /// <summary>Width of the gated MLP's hidden layer. At least 1.</summary>
    public int IntermediateSize { get; init; }

    /// <summary>Number of decoder layers. At least 1.</summary>
    public int NumHiddenLayers { get; init; }

    /// <summary>Number of query heads. At least 1.</summary>
    public int NumAttentionHeads { get; init; }

    /// <summary>Number of key/value heads (grouped-query attention). Divides <see cref="NumAttentionHeads"/>.</summary>
    public int NumKeyValueHeads { get; init; }

    /// <summary>Per-head width; 0 means <see cref="HiddenSize"/> / <see cref="NumAttentionHeads"/>. Must be even (rotary pairs).</summary>
    public int HeadDim { get; init; }

    /// <summary>Longest sequence (prompt plus generated tokens) the model was trained for.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>Epsilon inside RMSNorm's square root. Positive.</summary>
    public double RmsNormEps { get; init; } = 1e-5;

    /// <summary>Base of the rotary position frequencies (of the full-attention layers where they differ). Positive.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Whether the output head shares the token embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Whether the q/k/v/o projections carry biases (<c>attention_bias</c>).</summary>
    public bool AttentionBias { get; init; }

    /// <summary>Whether the MLP projections carry biases.</summary>
    public bool MlpBias { get; init; }

    /// <summary>Beginning-of-sequence token id, or null when the config names none.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence token id (the first when the config lists several), or null when it names none.</summary>
    public int? EosTokenId { get; init; }

    /// <summary>Every end-of-sequence id the config lists (Llama 3 lists several); empty when it names none.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = Array.Empty<int>();

    /// <summary>Padding token id, or null when the config names none.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>Hugging Face <c>model_type</c>; one of <see cref="SupportedModelTypes"/>. It picks the family.</summary>
    public string ModelType { get; init; } = "llama";

    /// <summary>RoPE frequency scaling (<c>rope_scaling</c>) of the full-attention layers, or null for plain RoPE.</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>The <c>torch_dtype</c> the checkpoint was saved in ("float32", "float16", "bfloat16").</summary>
    public string TorchDtype { get; init; } = "float32";

    // ---- Where families differ. Defaults are Llama's; the structural ones (get-only) follow from the family. ----

    /// <summary>q/k/v carry biases though o does not (Qwen2). <see cref="AttentionBias"/> gives all four.</summary>
    public bool QkvBiasOnly => Family.QkvBiasOnly;

    /// <summary>The MLP's activation: "silu" (SwiGLU) or "gelu_pytorch_tanh" (GeGLU with tanh GELU, Gemma).</summary>
    public string HiddenActivation { get; init; } = "silu";

    /// <summary>Per-head RMSNorm of queries and keys before the rotation (<c>q_norm</c>, <c>k_norm</c>: Qwen3, Gemma 3).</summary>
    public bool QueryKeyNorm => Family.QueryKeyNorm;

    /// <summary>RMSNorm scales by (1 + weight), in float32, with weights stored as offsets from one (Gemma).</summary>
    public bool NormWeightOffset => Family.NormWeightOffset;

    /// <summary>Token embeddings are multiplied by √<see cref="HiddenSize"/>, rounded to the weights' dtype (Gemma).</summary>
    public bool ScaleEmbeddings => Family.ScaleEmbeddings;

    /// <summary>
    /// Four norms per layer: the attention's and the MLP's outputs are normalised before their residual additions
    /// (<c>post_attention_layernorm</c>, <c>post_feedforward_layernorm</c>), and the MLP input by
    /// <c>pre_feedforward_layernorm</c> (Gemma). Otherwise <c>post_attention_layernorm</c> is the MLP's input norm.
    /// </summary>
    public bool SandwichNorms => Family.SandwichNorms;

    /// <summary>Attention scores are scaled by this to the power −½ instead of head_dim (<c>query_pre_attn_scalar</c>, Gemma); null: head_dim. Positive.</summary>
    public double? QueryPreAttentionScalar { get; init; }

    /// <summary>
    /// Window of the sliding-window layers: a query sees itself and the <c>SlidingWindow − 1</c> keys before it.
    /// Null: every layer attends to the whole prefix. At least 1.
    /// </summary>
    public int? SlidingWindow { get; init; }

    /// <summary>
    /// Per layer, "full_attention" or "sliding_attention" (<c>layer_types</c>). Null: every layer slides when
    /// <see cref="SlidingWindow"/> is set (Mistral, Phi-3), else none does. When set, one entry per layer.
    /// </summary>
    public IReadOnlyList<string>? LayerTypes { get; init; }

    /// <summary>Rotary base of the sliding-window layers, which use no scaling (<c>rope_local_base_freq</c>, Gemma 3); null: <see cref="RopeTheta"/> with <see cref="RopeScaling"/>.</summary>
    public double? LocalRopeTheta { get; init; }

    /// <summary>Per layer, 1 where the layer rotates queries and keys and 0 where it uses no position encoding (<c>no_rope_layers</c>, SmolLM3); null: every layer rotates.</summary>
    public IReadOnlyList<int>? NoRopeLayers { get; init; }

    /// <summary>Fraction of each head's channels that rotate (<c>partial_rotary_factor</c>, Phi-3/Phi-4-mini); the rest pass unchanged. In (0, 1].</summary>
    public double PartialRotaryFactor { get; init; } = 1.0;

    /// <summary>q/k/v are one <c>qkv_proj</c> and the MLP's gate and up one <c>gate_up_proj</c> (Phi-3).</summary>
    public bool FusedProjections => Family.FusedProjections;

    /// <summary>Final logits become cap · tanh(logits / cap) (<c>final_logit_softcapping</c>); null: none. Positive.</summary>
    public double? FinalLogitSoftcapping { get; init; }

    // ---- Derived. ----

    /// <summary>The family this config belongs to, chosen by <see cref="ModelType"/>.</summary>
    internal ModelFamily Family => ModelFamilies.ForModelType(ModelType);

    /// <summary>The per-head width actually used.</summary>
    public int ResolvedHeadDim => HeadDim > 0 ? HeadDim : HiddenSize / NumAttentionHeads;

    /// <summary>Channels of each head that rotate: head_dim × partial_rotary_factor (HF's int() rounding).</summary>
    public int RotaryDim => (int)(ResolvedHeadDim * PartialRotaryFactor);

    /// <summary>Whether q/k/v carry biases.</summary>
    public bool QkvBias => AttentionBias || QkvBiasOnly;

    /// <summary>Longest sequence this implementation runs: max_position_embeddings (sliding windows are applied exactly).</summary>
    public int ContextLength => MaxPositionEmbeddings;

    /// <summary>Whether layer <paramref name="layer"/> uses the sliding window.</summary>
    public bool IsSlidingLayer(int layer) => SlidingWindow is not null
        && (LayerTypes is null || LayerTypes[layer] == LayerTypeNames.Sliding);

    /// <summary>Whether layer <paramref name="layer"/> rotates its queries and keys.</summary>
    public bool UsesRope(int layer) => NoRopeLayers is null || NoRopeLayers[layer] != 0;

    /// <summary>Two configs are equal when they describe the same checkpoint (compared through their config.json form).</summary>
    public bool Equals(ModelConfig? other) => other is not null && ToJson() == other.ToJson();

    public override int GetHashCode() => ToJson().GetHashCode(StringComparison.Ordinal);

    /// <summary>Throws <see cref="InvalidDataException"/> naming the first inconsistent field.</summary>
    public void Validate()
    {
        Require(VocabSize >= 1, "vocab_size", "must be at least 1");
        Require(HiddenSize >= 1, "hidden_size", "must be at least 1");
        Require(IntermediateSize >= 1, "intermediate_size", "must be at least 1");
        Require(NumHiddenLayers >= 1, "num_hidden_layers", "must be at least 1");
        Require(NumAttentionHeads >= 1, "num_attention_heads", "must be at least 1");
        Require(NumKeyValueHeads >= 1 && NumAttentionHeads % NumKeyValueHeads == 0,
            "num_key_value_heads", $"must divide num_attention_heads ({NumAttentionHeads})");
        Require(HeadDim > 0 || HiddenSize % NumAttentionHeads == 0,
            "hidden_size", $"must be divisible by num_attention_heads ({NumAttentionHeads}) when head_dim is not set");
        Require(PartialRotaryFactor > 0 && PartialRotaryFactor <= 1, "partial_rotary_factor", "must be in (0, 1]");
        Require(RotaryDim % 2 == 0 && RotaryDim > 0, "head_dim", "times partial_rotary_factor must be a positive even number (rotary pairs)");
        Require(MaxPositionEmbeddings >= 1, "max_position_embeddings", "must be at least 1");
        Require(RmsNormEps > 0, "rms_norm_eps", "must be positive");
        Require(RopeTheta > 0, "rope_theta", "must be positive");
        Require(LocalRopeTheta is null or > 0, "rope_local_base_freq", "must be positive");
        Require(SlidingWindow is null or >= 1, "sliding_window", "must be at least 1");
        Require(QueryPreAttentionScalar is null or > 0, "query_pre_attn_scalar", "must be positive");
        Require(FinalLogitSoftcapping is null or > 0, "final_logit_softcapping", "must be positive");
        Require(HiddenActivation is "silu" or "gelu_pytorch_tanh", "hidden_act",
            $"is '{HiddenActivation}'; supported: silu, gelu_pytorch_tanh");
        Require(LayerTypes is null || LayerTypes.Count == NumHiddenLayers, "layer_types",
            $"must list one entry per layer ({NumHiddenLayers})");
        Require(LayerTypes is null || LayerTypes.All(t => t is LayerTypeNames.Full or LayerTypeNames.Sliding), "layer_types",
            $"entries must be '{LayerTypeNames.Full}' or '{LayerTypeNames.Sliding}'");
        Require(NoRopeLayers is null || NoRopeLayers.Count >= NumHiddenLayers, "no_rope_layers",
            $"must list at least one entry per layer ({NumHiddenLayers})");
        RopeScaling?.Validate(RotaryDim);
    }

    private static void Require(bool condition, string key, string message)
    {
        if (!condition) throw new InvalidDataException($"config.json: '{key}' {message}.");
    }

    /// <summary>
    /// Reads a Hugging Face <c>config.json</c> through its family. A model type, or a setting, that this library cannot
    /// run exactly is refused with the key and value that name it.
    /// </summary>
    /// <exception cref="InvalidDataException">The text is not a JSON object, or a key has the wrong type or an inconsistent value.</exception>
    /// <exception cref="NotSupportedException">The model type or a setting is one this library does not implement.</exception>
    public static ModelConfig FromJson(string json) => FromJson(json, out _);

    /// <param name="storedFamily">The family the JSON's own <c>model_type</c> names, which may differ from the config's
    /// (a multimodal Gemma 3 folder reads as its <c>gemma3_text</c> model).</param>
    internal static ModelConfig FromJson(string json, out ModelFamily storedFamily)
    {
        var root = ConfigJson.ParseObject(json);
        string modelType = ConfigJson.String(root, "model_type") ?? "llama";
        storedFamily = ModelFamilies.ForModelType(modelType);
        var config = storedFamily.Read(root, modelType);
        config.Validate();
        return config;
    }

    /// <summary>Writes the config in Hugging Face's format, loadable by <c>transformers.AutoConfig</c>.</summary>
    public string ToJson() =>
        Family.Write(this).ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The <c>model_type</c> values this library loads.</summary>
    public static IReadOnlyList<string> SupportedModelTypes => ModelFamilies.ModelTypes;
}

/// <summary>The values of <c>layer_types</c>.</summary>
internal static class LayerTypeNames
{
    public const string Full = "full_attention";
    public const string Sliding = "sliding_attention";
}
