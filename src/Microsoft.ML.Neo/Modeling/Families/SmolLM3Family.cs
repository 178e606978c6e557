using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Tokenization.Chat;

namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>
/// SmolLM3: Llama's shape where some layers use no position encoding at all (NoPE). <c>no_rope_layers</c> lists 1 for
/// a rotating layer and 0 for a NoPE one; without it, every <c>no_rope_layer_interval</c>-th layer (default 4) is NoPE.
/// </summary>
internal sealed class SmolLM3Family : ModelFamily
{
    public override string Name => "SmolLM3";

    public override IReadOnlyList<string> ModelTypes { get; } = new[] { "smollm3" };

    public override string Architecture => "SmolLM3ForCausalLM";

    public override ChatFormat? DefaultChatFormat => ChatFormat.SmolLM3;

    public override ModelConfig Read(JsonObject root, string modelType)
    {
        ConfigJson.RefuseIfSet(root, "use_sliding_window", "SmolLM3's sliding window is not implemented; the released checkpoints set it to false.");
        var common = ReadCommon(root, modelType, defaultEps: 1e-6, defaultTheta: 2_000_000.0, defaultTied: true);
        int interval = ConfigJson.Int(root, "no_rope_layer_interval", 4);
        if (interval < 1) throw new InvalidDataException($"config.json: 'no_rope_layer_interval' must be at least 1, found {interval}.");
        var layers = ConfigJson.List<int>(root, "no_rope_layers")
            ?? Enumerable.Range(0, common.NumHiddenLayers).Select(i => (i + 1) % interval != 0 ? 1 : 0).ToArray();
        return common with { NoRopeLayers = layers };
    }

    public override JsonObject Write(ModelConfig config)
    {
        RequireOnly(config, noRope: true);
        var root = WriteCommon(config);
        root["use_sliding_window"] = false;
        // Written even when every layer rotates: an absent list would read back as the default NoPE pattern.
        var layers = config.NoRopeLayers ?? Enumerable.Repeat(1, config.NumHiddenLayers).ToArray();
        root["no_rope_layers"] = new JsonArray(layers.Select(v => (JsonNode)v).ToArray());
        return root;
    }
}
