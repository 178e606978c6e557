using System.Text.Json.Nodes;

namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>Llama 2, Llama 3.x, TinyLlama: the reference shape every other family varies.</summary>
internal sealed class LlamaFamily : ModelFamily
{
    public override string Name => "Llama";

    public override IReadOnlyList<string> ModelTypes { get; } = new[] { "llama" };

    public override string Architecture => "LlamaForCausalLM";

    public override ModelConfig Read(JsonObject root, string modelType)
    {
        ConfigJson.RefuseIfSet(root, "use_sliding_window", "sliding-window attention does not exist in Llama models.");
        return ReadCommon(root, modelType, defaultEps: 1e-6);
    }

    public override JsonObject Write(ModelConfig config)
    {
        RequireOnly(config);
        return WriteCommon(config);
    }
}
