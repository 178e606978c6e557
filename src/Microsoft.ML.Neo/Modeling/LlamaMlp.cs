using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>SwiGLU feed-forward block: down(silu(gate(x)) · up(x)).</summary>
internal sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    private readonly AdaptableLinear gate_proj;
    private readonly AdaptableLinear up_proj;
    private readonly AdaptableLinear down_proj;

    public LlamaMlp(LlamaConfig config, ScalarType dtype) : base("mlp")
    {
        gate_proj = new AdaptableLinear("gate_proj", config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype);
        up_proj = new AdaptableLinear("up_proj", config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype);
        down_proj = new AdaptableLinear("down_proj", config.IntermediateSize, config.HiddenSize, config.MlpBias, dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hidden = nn.functional.silu(gate_proj.forward(x)) * up_proj.forward(x); // [B, T, I]
        return down_proj.forward(hidden).MoveToOuterDisposeScope();                  // [B, T, C]
    }
}
