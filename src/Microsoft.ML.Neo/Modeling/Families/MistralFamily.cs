using System.Text.Json.Nodes;

namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>Mistral: Llama's shape with every layer attending through a sliding window (<c>sliding_window</c>, or none when null).</summary>
internal sealed class MistralFamily : ModelFamily
{
    public override string Name => "Mistral";

    public override IReadOnlyList<string> ModelTypes { get; } = new[] { "mistral" };

    public override string Architecture => "MistralForCausalLM";

    public override ModelConfig Read(JsonObject root, string modelType) =>
        ReadCommon(root, modelType, defaultEps: 1e-6) with { SlidingWindow = ConfigJson.OptionalInt(root, "sliding_window") };

    public override JsonObject Write(ModelConfig config)
    {
        RequireOnly(config, slidingWindow: true);
        var root = WriteCommon(config);
        root["sliding_window"] = config.SlidingWindow;
        return root;
    }
}
