namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>The registry of model families: the one place a <c>model_type</c> is looked up.</summary>
internal static class ModelFamilies
{
    /// <summary>Every family, in the order they are listed to users.</summary>
    public static readonly IReadOnlyList<ModelFamily> All = new ModelFamily[]
    {
        new LlamaFamily(), new MistralFamily(), new Qwen2Family(), new Qwen3Family(), new Gemma3Family(), new Gemma3MultimodalFamily(),
        new Phi3Family(),
        new SmolLM3Family(),
    };

    private static readonly Dictionary<string, ModelFamily> ByModelType =
        All.SelectMany(f => f.ModelTypes.Select(t => (Type: t, Family: f))).ToDictionary(p => p.Type, p => p.Family, StringComparer.Ordinal);

    // Model types people will try that are close to a supported one, with what to do instead.
    private static readonly Dictionary<string, string> Near = new(StringComparer.Ordinal)
    {
        ["qwen3_moe"] = "mixture-of-experts layers are not implemented; the dense Qwen3 models (model_type 'qwen3') load",
        ["qwen2_moe"] = "mixture-of-experts layers are not implemented; the dense Qwen2 models (model_type 'qwen2') load",
        ["mixtral"] = "mixture-of-experts layers are not implemented; Mistral's dense models (model_type 'mistral') load",
        ["gemma"] = "Gemma 1 is not implemented; Gemma 3 (model_type 'gemma3_text', or 'gemma3' with a vision tower) loads",
        ["gemma2"] = "Gemma 2's soft-capped attention is not implemented; Gemma 3 (model_type 'gemma3_text', or 'gemma3' with a vision tower) loads",
        ["phi"] = "Phi-1/Phi-2 (parallel attention and MLP, LayerNorm) are not implemented; Phi-3 and Phi-4-mini (model_type 'phi3') load",
    };

    /// <summary>Every supported <c>model_type</c>.</summary>
    public static IReadOnlyList<string> ModelTypes { get; } = All.SelectMany(f => f.ModelTypes).ToArray();

    /// <summary>Every projection name some family adapts (what LoRA target lists may contain).</summary>
    public static IReadOnlyList<string> AllProjectionNames { get; } =
        All.SelectMany(f => f.ProjectionNames).Distinct(StringComparer.Ordinal).ToArray();

    /// <exception cref="NotSupportedException">The model type is not one this library implements; the message says which are.</exception>
    public static ModelFamily ForModelType(string modelType)
    {
        if (ByModelType.TryGetValue(modelType, out var family)) return family;
        string why = Near.TryGetValue(modelType, out var near) ? $"{near}." : "it is not implemented.";
        throw new NotSupportedException(
            $"config.json: 'model_type' is '{modelType}': {why} Supported: {string.Join(", ", ModelTypes)}.");
    }
}
