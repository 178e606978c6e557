using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// One pre-norm decoder block: x + attn(norm(x)), then + mlp(norm(x)). With sandwich norms (Gemma) the attention's and
/// the MLP's outputs are normalised too before their residual additions, and the MLP's input norm is
/// <c>pre_feedforward_layernorm</c>; otherwise <c>post_attention_layernorm</c> is the MLP's input norm (HF's names).
/// </summary>
internal sealed class DecoderLayer : nn.Module
{
    private readonly RmsNorm input_layernorm;
    private readonly DecoderAttention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly RmsNorm? pre_feedforward_layernorm;
    private readonly RmsNorm? post_feedforward_layernorm;
    private readonly GatedMlp mlp;

    public DecoderLayer(ModelConfig config, int layer, ScalarType dtype) : base("layer")
    {
        IsSliding = config.IsSlidingLayer(layer);
        input_layernorm = Norm("input_layernorm", config, dtype);
        self_attn = new DecoderAttention(config, layer, dtype);
        post_attention_layernorm = Norm("post_attention_layernorm", config, dtype);
        if (config.SandwichNorms)
        {
            pre_feedforward_layernorm = Norm("pre_feedforward_layernorm", config, dtype);
            post_feedforward_layernorm = Norm("post_feedforward_layernorm", config, dtype);
        }
        mlp = new GatedMlp(config, dtype);
        RegisterComponents();
    }

    internal static RmsNorm Norm(string name, ModelConfig config, ScalarType dtype) =>
        new(name, config.HiddenSize, config.RmsNormEps, dtype, config.NormWeightOffset);

    /// <summary>The layer's self-attention (the attention analysis traces it).</summary>
    internal DecoderAttention Attention => self_attn;

    /// <summary>Whether this layer attends through the sliding window (and so reads the local rotary angles).</summary>
    public bool IsSliding { get; }

    /// <param name="x">[B, T, C].</param>
    public Tensor Forward(Tensor x, PositionAngles positions, LayerKvCache? cache)
    {
        using var scope = NewDisposeScope();
        var (cos, sin) = positions.For(IsSliding);
        var attention = self_attn.Forward(input_layernorm.forward(x), cos, sin, cache, positions.LeftPadding); // [B, T, C]
        Tensor output;
        if (pre_feedforward_layernorm is null)
        {
            var afterAttention = x.Plus(attention);
            output = afterAttention.Plus(mlp.forward(post_attention_layernorm.forward(afterAttention)));
        }
        else
        {
            var afterAttention = x.Plus(post_attention_layernorm.forward(attention));
            output = afterAttention.Plus(post_feedforward_layernorm!.forward(mlp.forward(pre_feedforward_layernorm.forward(afterAttention))));
        }
        return output.MoveToOuterDisposeScope();
    }
}
