using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// Gated feed-forward block: down(act(gate(x)) · up(x)), with SiLU (SwiGLU: Llama, Qwen, Phi) or tanh GELU (GeGLU:
/// Gemma). Phi-3 stores gate and up as one <c>gate_up_proj</c>, gate first.
/// </summary>
internal sealed class GatedMlp : nn.Module<Tensor, Tensor>
{
    private readonly AdaptableLinear? gate_proj;
    private readonly AdaptableLinear? up_proj;
    private readonly AdaptableLinear? gate_up_proj;
    private readonly AdaptableLinear down_proj;
    private readonly bool geluTanh;
    private readonly int width;

    public GatedMlp(ModelConfig config, ScalarType dtype) : base("mlp")
    {
        width = config.IntermediateSize;
        geluTanh = config.HiddenActivation == "gelu_pytorch_tanh";
        if (config.FusedProjections)
        {
            gate_up_proj = new AdaptableLinear("gate_up_proj", config.HiddenSize, 2 * width, config.MlpBias, dtype);
        }
        else
        {
            gate_proj = new AdaptableLinear("gate_proj", config.HiddenSize, width, config.MlpBias, dtype);
            up_proj = new AdaptableLinear("up_proj", config.HiddenSize, width, config.MlpBias, dtype);
        }
        down_proj = new AdaptableLinear("down_proj", width, config.HiddenSize, config.MlpBias, dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor gate, up;
        if (gate_up_proj is not null)
        {
            var both = gate_up_proj.forward(x); // [B, T, 2I]
            gate = both.narrow(-1, 0, width);   // [B, T, I]
            up = both.narrow(-1, width, width); // [B, T, I]
        }
        else
        {
            gate = gate_proj!.forward(x); // [B, T, I]
            up = up_proj!.forward(x);     // [B, T, I]
        }
        var activated = geluTanh ? nn.functional.gelu(gate, TorchSharp.Modules.GELU.Approximate.tanh) : nn.functional.silu(gate);
        return down_proj.forward(activated * up).MoveToOuterDisposeScope(); // [B, T, C]
    }
}
