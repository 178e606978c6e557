using Microsoft.ML.Neo.Tokenization.Chat;

namespace Microsoft.ML.Neo.Modeling.Families;

/// <summary>
/// Qwen3 (dense, 0.6B to 32B): Llama's shape with a per-head RMSNorm of queries and keys (<c>q_norm</c>, <c>k_norm</c>)
/// before the rotation, and no q/k/v biases. Qwen3-MoE (<c>qwen3_moe</c>) is a different model type and is refused.
/// </summary>
internal sealed class Qwen3Family : QwenFamily
{
    public override string Name => "Qwen3";

    public override IReadOnlyList<string> ModelTypes { get; } = new[] { "qwen3" };

    public override string Architecture => "Qwen3ForCausalLM";

    public override ChatFormat? DefaultChatFormat => ChatFormat.Qwen3;

    public override bool QueryKeyNorm => true;
}
