using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// Root-mean-square layer norm with a learned per-channel scale. The statistics are computed in float32 whatever the
/// input's dtype (bf16 has 8 bits of mantissa: a mean of squares over thousands of channels would lose most of them);
/// the normalised values go back to the input's dtype before the scale, as transformers' Llama does. With a weight
/// offset (Gemma) the weight is stored as an offset from one, initialised to zero, and the scale (1 + weight) is
/// applied in float32 before the cast, as transformers' Gemma does.
/// </summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double eps;
    private readonly bool weightOffset;

    public RmsNorm(string name, int size, double eps, ScalarType dtype = ScalarType.Float32, bool weightOffset = false) : base(name)
    {
        this.eps = eps;
        this.weightOffset = weightOffset;
        weight = nn.Parameter(weightOffset ? zeros(size, dtype: dtype) : ones(size, dtype: dtype));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // Explicit Scalars that live until each call returns, not implicit ones (pow(2), + eps): TorchSharp 0.107 hands
        // an implicit Scalar's native handle to libtorch without keeping the object alive, and in long experiments a
        // collection during the call let the finalizer free one mid-operation, in this method
        // (docs/using-in-your-app.md). Same operations as before, so results are bit-identical.
        using var two = 2.ToScalar();
        using var epsilon = eps.ToScalar();
        using var one = 1.ToScalar();
        var wide = x.to(ScalarType.Float32);                                   // the same tensor when x is float32
        var meanSquare = wide.pow(two).mean(new long[] { -1 }, keepdim: true); // [..., 1]
        var normalisedWide = wide * rsqrt(meanSquare.add(epsilon, one));        // [..., C] float32
        if (weightOffset)
            return (normalisedWide * weight.to(ScalarType.Float32).add(one)).to(x.dtype).MoveToOuterDisposeScope();
        return (normalisedWide.to(x.dtype) * weight).MoveToOuterDisposeScope();
    }
}
