using System.Text.Json.Nodes;

namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>
/// Gemma 3 with a vision tower (<c>gemma3</c>, <c>Gemma3ForConditionalGeneration</c>: 4B, 12B, 27B), read as its text
/// model: the decoder is <c>text_config</c>'s <see cref="Gemma3Family"/> model, its tensors are stored under
/// <c>language_model.model.</c> (or <c>model.language_model.</c> in newer saves), and the vision tower and projector are
/// left unread. Distillation, generation and export then work on the text model; what is written back is a text-only
/// <c>gemma3_text</c> folder, since the vision weights are not carried.
/// </summary>
internal sealed class Gemma3MultimodalFamily : ModelFamily
{
    private static readonly Gemma3Family TextFamily = new();

    // Gemma3TextConfig's defaults for the keys a nested text_config leaves out: transformers writes a sub-config as
    // its difference from these, so gemma-3-4b's text_config names neither vocab_size nor max_position_embeddings.
    private static readonly (string Key, JsonNode Value)[] TextDefaults =
    {
        ("vocab_size", 262_208), ("hidden_size", 2304), ("intermediate_size", 9216), ("num_hidden_layers", 26),
        ("num_attention_heads", 8), ("num_key_value_heads", 4), ("head_dim", 256), ("max_position_embeddings", 131_072),
        ("pad_token_id", 0), ("eos_token_id", 1), ("bos_token_id", 2),
    };

    // Keys the multimodal config keeps at its top level that the text model needs.
    private static readonly string[] SharedKeys = { "bos_token_id", "eos_token_id", "pad_token_id", "torch_dtype", "dtype" };

    // Stored prefixes of the text model's tensors (older saves first), and of the parts the text model does not use.
    private static readonly (string Stored, string Parameter)[] TextPrefixes =
    {
        ("language_model.model.", "model."), ("model.language_model.", "model."), ("language_model.lm_head.", "lm_head."),
    };
    private static readonly string[] VisionPrefixes =
        { "vision_tower.", "multi_modal_projector.", "model.vision_tower.", "model.multi_modal_projector." };

    public override string Name => "Gemma 3 (multimodal; its text model)";

    public override IReadOnlyList<string> ModelTypes { get; } = new[] { "gemma3" };

    public override string Architecture => "Gemma3ForConditionalGeneration";

    public override ModelConfig Read(JsonObject root, string modelType)
    {
        if (root["text_config"] is not JsonObject nested)
            throw new InvalidDataException(
                "config.json: 'model_type' is 'gemma3' (Gemma 3 with a vision tower) but there is no 'text_config' object describing its text model; restore the file from the model's source.");
        string textType = ConfigJson.String(nested, "model_type") ?? "gemma3_text";
        if (textType != "gemma3_text")
            throw new NotSupportedException($"config.json: 'text_config.model_type' is '{textType}'; a Gemma 3 text model ('gemma3_text') is expected.");
        var text = (JsonObject)nested.DeepClone();
        foreach (string key in SharedKeys)
        {
            if (ConfigJson.IsMissing(text, key) && !ConfigJson.IsMissing(root, key)) text[key] = root[key]!.DeepClone();
        }
        foreach (var (key, value) in TextDefaults)
        {
            if (ConfigJson.IsMissing(text, key)) text[key] = value.DeepClone();
        }
        return TextFamily.Read(text, TextFamily.ModelTypes[0]);
    }

    public override JsonObject Write(ModelConfig config) => throw new InvalidOperationException(
        "A multimodal Gemma 3 config is never written: a model read from one is its gemma3_text model and is written as such.");

    public override string? ParameterNameOf(string storedName)
    {
        foreach (var (stored, parameter) in TextPrefixes)
        {
            if (storedName.StartsWith(stored, StringComparison.Ordinal)) return parameter + storedName[stored.Length..];
        }
        foreach (string vision in VisionPrefixes)
        {
            if (storedName.StartsWith(vision, StringComparison.Ordinal)) return null;
        }
        return storedName; // lm_head.weight, when a newer save stores the head untied
    }

    // As transformers (4.52 and later) names the modules of Gemma3ForConditionalGeneration, which PEFT adapters follow.
    public override string StoredNameOf(string parameterName) => parameterName.StartsWith("model.", StringComparison.Ordinal)
        ? "model.language_model." + parameterName["model.".Length..]
        : parameterName;
}
