using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Lora;

/// <summary>
/// DoRA (Liu et al. 2024): the adapted weight W' = m ⊙ (W + ΔW) / ‖W + ΔW‖, where ΔW is the LoRA update, ‖·‖ the norm
/// of each output row and m a trained magnitude per output row (<c>lora_magnitude</c>, PEFT's
/// <c>lora_magnitude_vector</c>), initialised to ‖W‖ so the model starts equal to its base. As in the paper (§4.3) and
/// PEFT, the norm is treated as a constant in the backward pass. The output is y = (m / ‖W + ΔW‖) ⊙ (x·Wᵀ + ΔW·x) + b.
/// </summary>
internal sealed class DoraAdapter : LoraAdapter
{
    private readonly Parameter lora_magnitude; // [out]

    internal DoraAdapter(int inFeatures, int outFeatures, LoraSettings settings) : base(nameof(DoraAdapter), inFeatures, outFeatures, settings)
    {
        lora_magnitude = nn.Parameter(ones(outFeatures, dtype: ScalarType.Float32));
        register_parameter("lora_magnitude", lora_magnitude);
    }

    internal Parameter Magnitude => lora_magnitude;

    internal override void Initialize(Tensor weight)
    {
        base.Initialize(weight);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        lora_magnitude.copy_(RowNorms(AdaptedWeight(weight))); // [out]
    }

    public override Tensor Adapt(Tensor x, Tensor weight, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        var frozen = nn.functional.linear(x, weight);                  // [..., out] base dtype, no bias
        Tensor norm;
        using (no_grad()) norm = RowNorms(AdaptedWeight(weight)); // [out], a constant for the backward pass
        var factor = lora_magnitude / norm;                            // [out]
        var output = frozen.to(ScalarType.Float32).Plus(forward(x)) * factor; // [..., out] float32
        if (bias is not null) output = output.Plus(bias.to(ScalarType.Float32));
        return output.to(frozen.dtype).MoveToOuterDisposeScope();
    }

    public override Tensor MergedWeight(Tensor weight)
    {
        using var scope = NewDisposeScope();
        var adapted = AdaptedWeight(weight); // [out, in]
        return adapted.mul((lora_magnitude / RowNorms(adapted)).unsqueeze(1)).MoveToOuterDisposeScope(); // [out, in]
    }

    // ‖w_i‖₂ of each output row i of a weight [out, in].
    private static Tensor RowNorms(Tensor weight) => linalg.vector_norm(weight, dims: new long[] { 1 });
}
