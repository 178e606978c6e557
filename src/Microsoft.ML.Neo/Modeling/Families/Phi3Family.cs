using System.Text.Json.Nodes;

namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>
/// Phi-3 and Phi-4-mini (<c>phi3</c>): q/k/v fused into one <c>qkv_proj</c> and the MLP's gate and up into one
/// <c>gate_up_proj</c> (gate first), rotation of only the first <c>partial_rotary_factor</c> of each head, LongRoPE
/// scaling (<c>rope_scaling.type</c> longrope or su, with <c>original_max_position_embeddings</c>), and an optional
/// sliding window on every layer.
/// </summary>
internal sealed class Phi3Family : ModelFamily
{
    private static readonly IReadOnlyList<string> Fused = new[] { "qkv_proj", "o_proj", "gate_up_proj", "down_proj" };

    public override string Name => "Phi-3";

    public override IReadOnlyList<string> ModelTypes { get; } = new[] { "phi3" };

    public override string Architecture => "Phi3ForCausalLM";

    public override bool FusedProjections => true;

    public override IReadOnlyList<string> ProjectionNames => Fused;

    // q/k/v and gate/up are one matrix each here: an adapter asked for on any part goes on the fused projection.
    public override string? ProjectionFor(string targetName) => targetName switch
    {
        "q_proj" or "k_proj" or "v_proj" => "qkv_proj",
        "gate_proj" or "up_proj" => "gate_up_proj",
        _ => base.ProjectionFor(targetName),
    };

    public override ModelConfig Read(JsonObject root, string modelType) =>
        ReadCommon(root, modelType, defaultEps: 1e-5) with
        {
            PartialRotaryFactor = ConfigJson.Double(root, "partial_rotary_factor", 1.0),
            SlidingWindow = ConfigJson.OptionalInt(root, "sliding_window"),
        };

    public override JsonObject Write(ModelConfig config)
    {
        RequireOnly(config, slidingWindow: true, partialRotary: true);
        var root = WriteCommon(config);
        root["partial_rotary_factor"] = config.PartialRotaryFactor;
        root["sliding_window"] = config.SlidingWindow;
        if (config.RopeScaling is { Type: "longrope" } scaling) root["original_max_position_embeddings"] = scaling.OriginalMaxPositionEmbeddings;
        return root;
    }
}
