using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>Root-mean-square layer norm with a learned per-channel scale, computed in float32.</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double eps;

    public RmsNorm(string name, int size, double eps, ScalarType dtype = ScalarType.Float32) : base(name)
    {
        this.eps = eps;
        weight = nn.Parameter(ones(size, dtype: dtype));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var meanSquare = x.pow(2).mean(new long[] { -1 }, keepdim: true); // [..., 1]
        return (x * rsqrt(meanSquare + eps) * weight).MoveToOuterDisposeScope();
    }
}
