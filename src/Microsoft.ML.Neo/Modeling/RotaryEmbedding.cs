using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// Rotary position embeddings in Hugging Face Llama's "rotate half" layout: the first and second halves of
/// each head are the two coordinates of every rotated pair.
/// </summary>
internal sealed class RotaryEmbedding : nn.Module
{
    private readonly Tensor inverseFrequencies; // [D/2]

    public RotaryEmbedding(int headDim, double theta, RopeScaling? scaling = null) : base(nameof(RotaryEmbedding))
    {
        // inv_freq[i] = 1 / theta^(2i/D), with the exponent rounded to float32 as transformers computes it.
        var values = new double[headDim / 2];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(1.0 / Math.Pow(theta, (float)(2 * i) / headDim));
        scaling?.Apply(values);
        inverseFrequencies = tensor(values.Select(v => (float)v).ToArray());
        register_buffer("inv_freq", inverseFrequencies, persistent: false);
    }

    /// <summary>Returns (cos, sin), each [T, D], for positions start .. start+length-1.</summary>
    public (Tensor Cos, Tensor Sin) Angles(long start, long length)
    {
        using var scope = NewDisposeScope();
        var positions = arange(start, start + length, dtype: ScalarType.Float32, device: inverseFrequencies.device); // [T]
        var angles = outer(positions, inverseFrequencies);  // [T, D/2]
        var doubled = cat(new[] { angles, angles }, dim: -1); // [T, D]
        return (doubled.cos().MoveToOuterDisposeScope(), doubled.sin().MoveToOuterDisposeScope());
    }

    /// <summary>Rotates x [B, H, T, D] by the angles from <see cref="Angles"/> (float32, cast to x's dtype as transformers does).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var first = x.narrow(-1, 0, half);     // [B, H, T, D/2]
        var second = x.narrow(-1, half, half); // [B, H, T, D/2]
        var rotated = cat(new[] { -second, first }, dim: -1); // [B, H, T, D]
        return (x * cos.to(x.dtype) + rotated * sin.to(x.dtype)).MoveToOuterDisposeScope();
    }
}
