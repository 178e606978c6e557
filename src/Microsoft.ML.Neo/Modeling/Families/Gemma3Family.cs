using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Tokenization.Chat;

namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>
/// Gemma 3 text models (<c>gemma3_text</c>: 270M, 1B): RMSNorm scaled by (1 + weight), four norms per layer,
/// embeddings scaled by √hidden, a GeGLU MLP (tanh GELU), per-head q/k norms, scores scaled by
/// <c>query_pre_attn_scalar</c>^−½, and sliding-window layers (their own rotary base, <c>rope_local_base_freq</c>,
/// unscaled) interleaved with full-attention ones (<c>rope_theta</c> with <c>rope_scaling</c>): by <c>layer_types</c>,
/// or every <c>sliding_window_pattern</c>-th layer full (default 6).
/// </summary>
internal sealed class Gemma3Family : ModelFamily
{
    public override string Name => "Gemma 3";

    public override IReadOnlyList<string> ModelTypes { get; } = new[] { "gemma3_text" };

    public override string Architecture => "Gemma3ForCausalLM";

    public override ChatFormat? DefaultChatFormat => ChatFormat.Gemma;

    public override bool QueryKeyNorm => true;

    public override bool NormWeightOffset => true;

    public override bool ScaleEmbeddings => true;

    public override bool SandwichNorms => true;

    public override ModelConfig Read(JsonObject root, string modelType)
    {
        var common = ReadCommon(root, modelType, defaultEps: 1e-6, defaultTheta: 1_000_000.0, defaultTied: true,
            activationKey: "hidden_activation", defaultActivation: "gelu_pytorch_tanh");
        int layers = common.NumHiddenLayers;
        int pattern = ConfigJson.Int(root, "sliding_window_pattern", 6);
        if (pattern < 1) throw new InvalidDataException($"config.json: 'sliding_window_pattern' must be at least 1, found {pattern}.");
        var types = ConfigJson.List<string>(root, "layer_types")
            ?? Enumerable.Range(0, layers).Select(i => (i + 1) % pattern != 0 ? LayerTypeNames.Sliding : LayerTypeNames.Full).ToArray();
        double localTheta = root["rope_parameters"] is JsonObject { } parameters && parameters["sliding_attention"] is JsonObject local
            ? ConfigJson.Double(local, "rope_theta", 10_000.0)
            : ConfigJson.Double(root, "rope_local_base_freq", 10_000.0);
        return common with
        {
            HeadDim = ConfigJson.Int(root, "head_dim", 256),
            QueryPreAttentionScalar = ConfigJson.Double(root, "query_pre_attn_scalar", 256),
            SlidingWindow = ConfigJson.Int(root, "sliding_window", 4096),
            LayerTypes = types,
            LocalRopeTheta = localTheta,
            FinalLogitSoftcapping = ConfigJson.OptionalDouble(root, "final_logit_softcapping"),
        };
    }

    public override JsonObject Write(ModelConfig config)
    {
        RequireOnly(config, slidingWindow: true, gemmaAttention: true);
        var root = WriteCommon(config);
        root.Remove("hidden_act");
        root["hidden_activation"] = config.HiddenActivation;
        root["query_pre_attn_scalar"] = config.QueryPreAttentionScalar ?? config.ResolvedHeadDim;
        root["sliding_window"] = config.SlidingWindow ?? config.MaxPositionEmbeddings;
        root["layer_types"] = new JsonArray((config.LayerTypes ?? Enumerable.Repeat(LayerTypeNames.Full, config.NumHiddenLayers))
            .Select(t => (JsonNode)t).ToArray());
        root["rope_local_base_freq"] = config.LocalRopeTheta ?? config.RopeTheta;
        root["final_logit_softcapping"] = config.FinalLogitSoftcapping;
        root["attn_logit_softcapping"] = null;
        return root;
    }
}
