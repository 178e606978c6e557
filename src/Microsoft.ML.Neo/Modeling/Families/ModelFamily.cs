using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Tokenization.Chat;

namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>
/// One model family: how its <c>config.json</c> maps onto <see cref="ModelConfig"/>'s switches and back, its
/// Hugging Face class name, the names of its adaptable projections, and its chat format. Everything that differs
/// between families lives in one subclass of this (one file each, registered in <see cref="ModelFamilies"/>); the
/// shared decoder (Modeling/) reads only the switches. Adding a family: docs/concepts.md#adding-a-model-family.
/// </summary>
internal abstract class ModelFamily
{
    /// <summary>Every linear layer of a Llama-shaped block: attention q/k/v/o and the MLP's gate/up/down.</summary>
    public static readonly IReadOnlyList<string> SeparateProjections =
        new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" };

    /// <summary>A readable name ("Qwen3").</summary>
    public abstract string Name { get; }

    /// <summary>The <c>model_type</c> values of this family; the first is the one written.</summary>
    public abstract IReadOnlyList<string> ModelTypes { get; }

    /// <summary>The transformers class of a causal LM of this family, written in <c>architectures</c>.</summary>
    public abstract string Architecture { get; }

    /// <summary>The chat format of this family's instruct models, used by the chat client when a folder has no chat_template; null when the family has several.</summary>
    public virtual ChatFormat? DefaultChatFormat => null;

    /// <summary>q/k/v carry biases though o does not (<see cref="ModelConfig.QkvBiasOnly"/>).</summary>
    public virtual bool QkvBiasOnly => false;

    /// <summary>Per-head q/k RMSNorm (<see cref="ModelConfig.QueryKeyNorm"/>).</summary>
    public virtual bool QueryKeyNorm => false;

    /// <summary>RMSNorm scales by (1 + weight) (<see cref="ModelConfig.NormWeightOffset"/>).</summary>
    public virtual bool NormWeightOffset => false;

    /// <summary>Embeddings scaled by √hidden (<see cref="ModelConfig.ScaleEmbeddings"/>).</summary>
    public virtual bool ScaleEmbeddings => false;

    /// <summary>Four norms per layer (<see cref="ModelConfig.SandwichNorms"/>).</summary>
    public virtual bool SandwichNorms => false;

    /// <summary>Fused qkv_proj and gate_up_proj (<see cref="ModelConfig.FusedProjections"/>).</summary>
    public virtual bool FusedProjections => false;

    /// <summary>Module names (last path segment) of the projections a LoRA adapter can attach to, as HF names them.</summary>
    public virtual IReadOnlyList<string> ProjectionNames => SeparateProjections;

    /// <summary>
    /// The projection a LoRA target name means in this family, or null when none: a family's own names map to
    /// themselves; a family with fused projections maps the separate names onto the fused one.
    /// </summary>
    public virtual string? ProjectionFor(string targetName) => ProjectionNames.Contains(targetName) ? targetName : null;

    /// <summary>
    /// The decoder parameter a tensor stored in this family's safetensors files fills, or null for a tensor the decoder
    /// has no use for. Text-only families store the decoder's own names.
    /// </summary>
    public virtual string? ParameterNameOf(string storedName) => storedName;

    /// <summary>
    /// The name this family's own modeling class gives a decoder parameter (the inverse of <see cref="ParameterNameOf"/>),
    /// for files that must match it, such as PEFT adapters applied onto the original checkpoint.
    /// </summary>
    public virtual string StoredNameOf(string parameterName) => parameterName;

    /// <summary>Reads the family's config.json into a config (validated by the caller).</summary>
    public virtual ModelConfig Read(JsonObject root, string modelType) => ReadCommon(root, modelType, defaultEps: 1e-6);

    /// <summary>Writes a config of this family as config.json.</summary>
    public virtual JsonObject Write(ModelConfig config) => WriteCommon(config);

    /// <summary>The keys every Llama-shaped family shares. Families refine the result with <c>with</c>.</summary>
    protected ModelConfig ReadCommon(JsonObject root, string modelType, double defaultEps, double defaultTheta = 10000.0,
        bool defaultTied = false, string activationKey = "hidden_act", string defaultActivation = "silu")
    {
        // Only the family's own key counts: Gemma's MLP reads hidden_activation and ignores any hidden_act beside it.
        string activation = ConfigJson.String(root, activationKey) ?? defaultActivation;
        if (activation is not ("silu" or "gelu_pytorch_tanh"))
            throw new NotSupportedException($"config.json: '{activationKey}' is '{activation}'; supported: silu (SwiGLU), gelu_pytorch_tanh (GeGLU).");
        ConfigJson.RefuseIfSet(root, "num_experts", "mixture-of-experts layers are not implemented; load a dense model.");
        ConfigJson.RefuseIfSet(root, "num_local_experts", "mixture-of-experts layers are not implemented; load a dense model.");
        ConfigJson.RefuseIfSet(root, "attn_logit_softcapping", "soft-capped attention scores are not implemented.");

        var (theta, scaling) = ReadRope(root, defaultTheta);
        int heads = ConfigJson.Int(root, "num_attention_heads");
        var eos = ConfigJson.Ids(root, "eos_token_id");
        return new ModelConfig
        {
            ModelType = modelType,
            VocabSize = ConfigJson.Int(root, "vocab_size"),
            HiddenSize = ConfigJson.Int(root, "hidden_size"),
            IntermediateSize = ConfigJson.Int(root, "intermediate_size"),
            NumHiddenLayers = ConfigJson.Int(root, "num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = ConfigJson.Int(root, "num_key_value_heads", heads),
            HeadDim = ConfigJson.Int(root, "head_dim", 0),
            MaxPositionEmbeddings = ConfigJson.Int(root, "max_position_embeddings", 2048),
            RmsNormEps = ConfigJson.Double(root, "rms_norm_eps", defaultEps),
            RopeTheta = theta,
            RopeScaling = scaling,
            TieWordEmbeddings = ConfigJson.Bool(root, "tie_word_embeddings", defaultTied),
            AttentionBias = ConfigJson.Bool(root, "attention_bias", false),
            MlpBias = ConfigJson.Bool(root, "mlp_bias", false),
            BosTokenId = FirstOrNull(ConfigJson.Ids(root, "bos_token_id")),
            EosTokenId = FirstOrNull(eos),
            EosTokenIds = eos,
            PadTokenId = FirstOrNull(ConfigJson.Ids(root, "pad_token_id")),
            TorchDtype = ConfigJson.String(root, "torch_dtype") ?? ConfigJson.String(root, "dtype") ?? "float32",
            HiddenActivation = activation,
        };
    }

    /// <summary>
    /// The rotary base and scaling, from <c>rope_theta</c> and <c>rope_scaling</c> or from the newer
    /// <c>rope_parameters</c> (which holds both).
    /// </summary>
    protected static (double Theta, RopeScaling? Scaling) ReadRope(JsonObject root, double defaultTheta)
    {
        if (root["rope_parameters"] is JsonObject parameters && parameters["full_attention"] is null)
        {
            double theta = ConfigJson.Double(parameters, "rope_theta", ConfigJson.Double(root, "rope_theta", defaultTheta));
            return (theta, RopeScaling.FromJson(parameters, root));
        }
        if (root["rope_parameters"] is JsonObject perLayerType && perLayerType["full_attention"] is JsonObject full)
            return (ConfigJson.Double(full, "rope_theta", defaultTheta), RopeScaling.FromJson(full, root));
        var scaling = root["rope_scaling"] is JsonObject scalingJson ? RopeScaling.FromJson(scalingJson, root) : null;
        return (ConfigJson.Double(root, "rope_theta", defaultTheta), scaling);
    }

    protected JsonObject WriteCommon(ModelConfig c)
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(Architecture),
            ["model_type"] = c.ModelType,
            ["vocab_size"] = c.VocabSize,
            ["hidden_size"] = c.HiddenSize,
            ["intermediate_size"] = c.IntermediateSize,
            ["num_hidden_layers"] = c.NumHiddenLayers,
            ["num_attention_heads"] = c.NumAttentionHeads,
            ["num_key_value_heads"] = c.NumKeyValueHeads,
            ["head_dim"] = c.ResolvedHeadDim,
            ["max_position_embeddings"] = c.MaxPositionEmbeddings,
            ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta,
            ["hidden_act"] = c.HiddenActivation,
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["attention_bias"] = c.AttentionBias,
            ["mlp_bias"] = c.MlpBias,
            ["torch_dtype"] = c.TorchDtype,
        };
        if (c.BosTokenId is int bos) root["bos_token_id"] = bos;
        if (c.EosTokenIds.Count > 1) root["eos_token_id"] = new JsonArray(c.EosTokenIds.Select(id => (JsonNode)id).ToArray());
        else if (c.EosTokenId is int eos) root["eos_token_id"] = eos;
        if (c.PadTokenId is int pad) root["pad_token_id"] = pad;
        if (c.RopeScaling is not null) root["rope_scaling"] = c.RopeScaling.ToJson();
        return root;
    }

    /// <summary>Refuses a switch a family's config.json cannot express, so a config is never written that reads back differently.</summary>
    protected static void RequireDefault(bool isDefault, ModelConfig c, string member)
    {
        if (!isDefault)
            throw new InvalidOperationException($"{nameof(ModelConfig)}.{member} cannot be set on a '{c.ModelType}' model; its config.json has no such setting.");
    }

    /// <summary>Refuses every family switch at once; families that support some check the rest themselves.</summary>
    /// <summary>Refuses the per-config settings a family's config.json has no key for; families allow what they write.</summary>
    protected static void RequireOnly(ModelConfig c, bool slidingWindow = false, bool noRope = false, bool partialRotary = false,
        bool gemmaAttention = false)
    {
        RequireDefault(slidingWindow || c.SlidingWindow is null, c, nameof(c.SlidingWindow));
        RequireDefault(noRope || c.NoRopeLayers is null, c, nameof(c.NoRopeLayers));
        RequireDefault(partialRotary || c.PartialRotaryFactor == 1.0, c, nameof(c.PartialRotaryFactor));
        RequireDefault(gemmaAttention || c.QueryPreAttentionScalar is null, c, nameof(c.QueryPreAttentionScalar));
        RequireDefault(gemmaAttention || c.LayerTypes is null, c, nameof(c.LayerTypes));
        RequireDefault(gemmaAttention || c.LocalRopeTheta is null, c, nameof(c.LocalRopeTheta));
        RequireDefault(gemmaAttention || c.FinalLogitSoftcapping is null, c, nameof(c.FinalLogitSoftcapping));
        RequireDefault(gemmaAttention || c.HiddenActivation == "silu", c, nameof(c.HiddenActivation));
    }

    private static int? FirstOrNull(IReadOnlyList<int> ids) => ids.Count > 0 ? ids[0] : null;
}
