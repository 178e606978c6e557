using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Tokenization.Chat;

namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>Qwen2 and Qwen2.5: Llama's shape with biases on q, k and v (not on o).</summary>
internal sealed class Qwen2Family : ModelFamily
{
    public override string Name => "Qwen2";

    public override IReadOnlyList<string> ModelTypes { get; } = new[] { "qwen2" };

    public override string Architecture => "Qwen2ForCausalLM";

    public override ChatFormat? DefaultChatFormat => ChatFormat.ChatML;

    public override bool QkvBiasOnly => true;

    public override ModelConfig Read(JsonObject root, string modelType)
    {
        ConfigJson.RefuseIfSet(root, "use_sliding_window",
            "Qwen's sliding window (on the layers past max_window_layers) is not implemented; the released checkpoints set it to false.");
        return ReadCommon(root, modelType, defaultEps: 1e-6);
    }

    public override JsonObject Write(ModelConfig config)
    {
        RequireOnly(config);
        var root = WriteCommon(config);
        root["use_sliding_window"] = false;
        return root;
    }
}
