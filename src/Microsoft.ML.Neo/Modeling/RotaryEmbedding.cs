using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// Rotary position embeddings in Hugging Face Llama's "rotate half" layout: the first and second halves of the rotated
/// channels are the two coordinates of every pair. With partial rotation (Phi-3) only the first <c>rotaryDim</c>
/// channels of each head rotate; the rest pass through.
/// </summary>
internal sealed class RotaryEmbedding : nn.Module
{
    private readonly Tensor inverseFrequencies;      // [R/2]
    private readonly Tensor? longInverseFrequencies; // [R/2], longrope beyond the original context
    private readonly RopeScaling? scaling;

    public RotaryEmbedding(int rotaryDim, double theta, RopeScaling? scaling = null) : base(nameof(RotaryEmbedding))
    {
        this.scaling = scaling;
        inverseFrequencies = Frequencies(rotaryDim, theta, scaling, positions: 0);
        register_buffer("inv_freq", inverseFrequencies, persistent: false);
        if (scaling is { DependsOnLength: true })
        {
            longInverseFrequencies = Frequencies(rotaryDim, theta, scaling, positions: long.MaxValue);
            register_buffer("long_inv_freq", longInverseFrequencies, persistent: false);
        }
    }

    // inv_freq[i] = 1 / theta^(2i/R), with the exponent rounded to float32 as transformers computes it, then scaled.
    private static Tensor Frequencies(int rotaryDim, double theta, RopeScaling? scaling, long positions)
    {
        var values = new double[rotaryDim / 2];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(1.0 / Math.Pow(theta, (float)(2 * i) / rotaryDim));
        scaling?.Apply(values, positions);
        return tensor(values.Select(v => (float)v).ToArray());
    }

    /// <summary>
    /// Returns (cos, sin), each [T, R], for positions start .. start+length-1. LongRoPE picks its factors by the
    /// sequence's end (start + length), as transformers does for each forward call.
    /// </summary>
    public (Tensor Cos, Tensor Sin) Angles(long start, long length)
    {
        using var scope = NewDisposeScope();
        var frequencies = longInverseFrequencies is not null && start + length > scaling!.OriginalMaxPositionEmbeddings
            ? longInverseFrequencies : inverseFrequencies;
        var positions = arange(start, start + length, dtype: ScalarType.Float32, device: frequencies.device); // [T]
        var angles = outer(positions, frequencies);            // [T, R/2]
        return CosSin(cat(new[] { angles, angles }, dim: -1)); // [T, R]
    }

    /// <summary>
    /// Returns (cos, sin), each [B, 1, T, R], for per-row positions [B, T] (a left-padded batch, whose rows start at
    /// different offsets). LongRoPE picks each row's factors by that row's furthest position, as the row alone would.
    /// </summary>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positions)
    {
        using var scope = NewDisposeScope();
        var frequencies = inverseFrequencies.view(1, 1, -1);                                 // [1, 1, R/2]
        if (longInverseFrequencies is not null)
        {
            using var original = scaling!.OriginalMaxPositionEmbeddings.ToScalar();
            var rowEnds = positions.amax(new long[] { 1 }, keepdim: true) + 1;               // [B, 1]
            var longRows = rowEnds.gt(original).unsqueeze(-1);                               // [B, 1, 1]
            frequencies = where(longRows, longInverseFrequencies.view(1, 1, -1), frequencies); // [B, 1, R/2]
        }
        var angles = positions.to(ScalarType.Float32).unsqueeze(-1) * frequencies;        // [B, T, R/2]
        return CosSin(cat(new[] { angles, angles }, dim: -1).unsqueeze(1));                  // [B, 1, T, R]
    }

    // cos and sin of the angles (any shape), times the scaling's attention factor; out of the caller's dispose scope.
    private (Tensor Cos, Tensor Sin) CosSin(Tensor doubled)
    {
        Tensor cos = doubled.cos(), sin = doubled.sin();
        if (scaling is { AngleScale: not 1.0 } scaled)
        {
            using var factor = scaled.AngleScale.ToScalar();
            cos = cos * factor;
            sin = sin * factor;
        }
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Rotates the first R channels of x [B, H, T, D] by the angles from <see cref="Angles(long, long)"/> ([T, R]) or
    /// <see cref="Angles(Tensor)"/> ([B, 1, T, R]) (float32, cast to x's dtype as transformers does); channels R..D pass unchanged.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long rotary = cos.shape[^1], width = x.shape[^1];
        var rotating = rotary == width ? x : x.narrow(-1, 0, rotary); // [B, H, T, R]
        long half = rotary / 2;
        var first = rotating.narrow(-1, 0, half);     // [B, H, T, R/2]
        var second = rotating.narrow(-1, half, half); // [B, H, T, R/2]
        var rotated = cat(new[] { -second, first }, dim: -1); // [B, H, T, R]
        var result = (rotating * cos.to(x.dtype)).Plus(rotated * sin.to(x.dtype));
        if (rotary != width) result = cat(new[] { result, x.narrow(-1, rotary, width - rotary) }, dim: -1); // [B, H, T, D]
        return result.MoveToOuterDisposeScope();
    }
}
