using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>One pre-norm decoder block: x + attn(norm(x)), then + mlp(norm(x)).</summary>
internal sealed class LlamaDecoderLayer : nn.Module
{
    private readonly RmsNorm input_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly LlamaMlp mlp;

    public LlamaDecoderLayer(LlamaConfig config, ScalarType dtype) : base("layer")
    {
        input_layernorm = new RmsNorm("input_layernorm", config.HiddenSize, config.RmsNormEps, dtype);
        self_attn = new LlamaAttention(config, dtype);
        post_attention_layernorm = new RmsNorm("post_attention_layernorm", config.HiddenSize, config.RmsNormEps, dtype);
        mlp = new LlamaMlp(config, dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, T, C].</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, LayerKvCache? cache)
    {
        using var scope = NewDisposeScope();
        var afterAttention = x + self_attn.Forward(input_layernorm.forward(x), cos, sin, cache); // [B, T, C]
        var output = afterAttention + mlp.forward(post_attention_layernorm.forward(afterAttention));
        return output.MoveToOuterDisposeScope();
    }
}
