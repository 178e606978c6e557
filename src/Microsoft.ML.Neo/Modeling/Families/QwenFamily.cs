using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Tokenization.Chat;

namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>What Qwen2 and Qwen3 share: the config keys, ChatML (Qwen3 adds its thinking block), and the refused sliding window.</summary>
internal abstract class QwenFamily : ModelFamily
{
    public override ChatFormat? DefaultChatFormat => ChatFormat.ChatML;

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
