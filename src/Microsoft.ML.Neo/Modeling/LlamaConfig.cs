using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// The architecture of a Llama-family causal LM, as Hugging Face's <c>config.json</c> spells it.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>Number of token ids the embedding and output head cover. At least 1.</summary>
    public int VocabSize { get; init; }

    /// <summary>Width of the residual stream. Must be divisible by <see cref="NumAttentionHeads"/> unless <see cref="HeadDim"/> is set.</summary>
    public int HiddenSize { get; init; }

    /// <summary>Width of the SwiGLU MLP's hidden layer. At least 1.</summary>
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

    /// <summary>Base of the rotary position frequencies. Positive.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Whether the output head shares the token embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Whether the q/k/v/o projections carry biases.</summary>
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

    /// <summary>Hugging Face <c>model_type</c>: "llama", "mistral" or "qwen2" (all share this architecture).</summary>
    public string ModelType { get; init; } = "llama";

    /// <summary>RoPE frequency scaling (<c>rope_scaling</c>), or null for plain RoPE.</summary>
    public RopeScaling? RopeScaling { get; init; }

    /// <summary>Mistral's attention window (<c>sliding_window</c>), or null. See <see cref="ContextLength"/>.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Whether q/k/v carry biases: <see cref="AttentionBias"/>, or always for Qwen2.</summary>
    public bool QkvBias => AttentionBias || ModelType == "qwen2";

    /// <summary>
    /// Longest sequence this implementation runs exactly: max_position_embeddings, and for Mistral no more than its
    /// sliding window (attention here is full, which equals sliding-window attention up to the window's length).
    /// </summary>
    public int ContextLength => SlidingWindow is int window && ModelType == "mistral"
        ? Math.Min(window, MaxPositionEmbeddings) : MaxPositionEmbeddings;

    /// <summary>The <c>torch_dtype</c> the checkpoint was saved in ("float32", "float16", "bfloat16").</summary>
    public string TorchDtype { get; init; } = "float32";

    /// <summary>The per-head width actually used.</summary>
    public int ResolvedHeadDim => HeadDim > 0 ? HeadDim : HiddenSize / NumAttentionHeads;

    /// <summary>Two configs are equal when they describe the same checkpoint (compared through their config.json form).</summary>
    public bool Equals(LlamaConfig? other) => other is not null && ToJson() == other.ToJson();

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
        Require(ResolvedHeadDim % 2 == 0, "head_dim", "must be even for rotary embeddings");
        Require(MaxPositionEmbeddings >= 1, "max_position_embeddings", "must be at least 1");
        Require(RmsNormEps > 0, "rms_norm_eps", "must be positive");
        Require(RopeTheta > 0, "rope_theta", "must be positive");
    }

    private static void Require(bool condition, string key, string message)
    {
        if (!condition) throw new InvalidDataException($"config.json: '{key}' {message}.");
    }

    /// <summary>Reads a Hugging Face <c>config.json</c>. Unknown architectures are refused with the key that names them.</summary>
    public static LlamaConfig FromJson(string json)
    {
        JsonObject root = JsonNode.Parse(json) as JsonObject
            ?? throw new InvalidDataException("config.json is not a JSON object.");
        string modelType = root["model_type"]?.GetValue<string>() ?? "llama";
        if (!SupportedModelTypes.Contains(modelType))
            throw new NotSupportedException(
                $"config.json: 'model_type' is '{modelType}'; supported: {string.Join(", ", SupportedModelTypes)}.");
        if (root["use_sliding_window"]?.GetValue<bool>() == true && modelType != "mistral")
            throw new NotSupportedException("config.json: 'use_sliding_window' is true; sliding-window attention is not supported for this model type.");
        string? activation = root["hidden_act"]?.GetValue<string>();
        if (activation is not null && activation != "silu")
            throw new NotSupportedException($"config.json: 'hidden_act' is '{activation}'; only 'silu' (SwiGLU) is supported.");

        int heads = Int(root, "num_attention_heads", required: true);
        var config = new LlamaConfig
        {
            VocabSize = Int(root, "vocab_size", required: true),
            HiddenSize = Int(root, "hidden_size", required: true),
            IntermediateSize = Int(root, "intermediate_size", required: true),
            NumHiddenLayers = Int(root, "num_hidden_layers", required: true),
            NumAttentionHeads = heads,
            NumKeyValueHeads = root["num_key_value_heads"] is null ? heads : Int(root, "num_key_value_heads", true),
            HeadDim = root["head_dim"] is null ? 0 : Int(root, "head_dim", true),
            MaxPositionEmbeddings = root["max_position_embeddings"] is null ? 2048 : Int(root, "max_position_embeddings", true),
            RmsNormEps = root["rms_norm_eps"]?.GetValue<double>() ?? 1e-6,
            RopeTheta = root["rope_theta"]?.GetValue<double>() ?? 10000.0,
            TieWordEmbeddings = root["tie_word_embeddings"]?.GetValue<bool>() ?? false,
            AttentionBias = root["attention_bias"]?.GetValue<bool>() ?? false,
            MlpBias = root["mlp_bias"]?.GetValue<bool>() ?? false,
            BosTokenId = OptionalId(root, "bos_token_id"),
            EosTokenId = OptionalId(root, "eos_token_id"),
            EosTokenIds = Checkpoints.GenerationConfig.Ids(root["eos_token_id"], "config.json"),
            PadTokenId = OptionalId(root, "pad_token_id"),
            TorchDtype = root["torch_dtype"]?.GetValue<string>() ?? "float32",
            ModelType = modelType,
            RopeScaling = root["rope_scaling"] is JsonObject scaling ? Modeling.RopeScaling.FromJson(scaling) : null,
            SlidingWindow = modelType == "mistral" && root["sliding_window"] is JsonNode window && window.GetValueKind() == JsonValueKind.Number
                ? window.GetValue<int>() : null,
        };
        config.Validate();
        return config;
    }

    /// <summary>Writes the config in Hugging Face's format, loadable by <c>transformers.AutoConfig</c>.</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(ModelType switch
            {
                "mistral" => "MistralForCausalLM",
                "qwen2" => "Qwen2ForCausalLM",
                _ => "LlamaForCausalLM",
            }),
            ["model_type"] = ModelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = ResolvedHeadDim,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["hidden_act"] = "silu",
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["attention_bias"] = AttentionBias,
            ["mlp_bias"] = MlpBias,
            ["torch_dtype"] = TorchDtype,
        };
        if (BosTokenId is int bos) root["bos_token_id"] = bos;
        if (EosTokenIds.Count > 1) root["eos_token_id"] = new JsonArray(EosTokenIds.Select(id => (JsonNode)id).ToArray());
        else if (EosTokenId is int eos) root["eos_token_id"] = eos;
        if (PadTokenId is int pad) root["pad_token_id"] = pad;
        if (RopeScaling is not null) root["rope_scaling"] = RopeScaling.ToJson();
        if (SlidingWindow is int slidingWindow) root["sliding_window"] = slidingWindow;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The <c>model_type</c> values this library loads.</summary>
    public static readonly IReadOnlyList<string> SupportedModelTypes = new[] { "llama", "mistral", "qwen2" };

    private static int Int(JsonObject root, string key, bool required)
    {
        JsonNode? node = root[key];
        if (node is null)
        {
            if (required) throw new InvalidDataException($"config.json: required key '{key}' is missing.");
            return 0;
        }
        try { return node.GetValue<int>(); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"config.json: '{key}' must be an integer, found {node.ToJsonString()}.");
        }
    }

    // eos_token_id may be a list in Llama 3 configs; EosTokenId keeps the first, EosTokenIds all of them.
    private static int? OptionalId(JsonObject root, string key) =>
        Checkpoints.GenerationConfig.Ids(root[key], "config.json") is { Count: > 0 } ids ? ids[0] : null;
}
