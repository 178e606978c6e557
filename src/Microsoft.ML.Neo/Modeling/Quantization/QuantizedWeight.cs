using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling.Quantization;

/// <summary>
/// A [out, in] weight matrix held as integers with float32 scales (weight-only, symmetric, round to nearest), and
/// dequantized on demand into the dtype a forward pass computes in.
/// </summary>
internal sealed class QuantizedWeight : IDisposable
{
    /// <summary>Inputs per NF4 scale.</summary>
    public const int Nf4GroupSize = 32;

    /// <summary>
    /// NF4's 16 levels (QLoRA, Dettmers et al. 2023): quantiles of a normal distribution scaled to [−1, 1], with an exact 0,
    /// so weights that are roughly normal use the levels evenly.
    /// </summary>
    internal static readonly float[] NormalFloatLevels =
    {
        -1.0f, -0.6961928f, -0.52507305f, -0.3949175f, -0.28444138f, -0.18477343f, -0.09105004f, 0f,
        0.0795803f, 0.1609302f, 0.2461123f, 0.33791524f, 0.44070983f, 0.562617f, 0.72295684f, 1.0f,
    };

    private readonly Tensor values; // Int8: [out, in] int8; NF4: [out, in / 2] uint8, two 4-bit level indexes per byte
    private readonly Tensor scales; // Int8: [out, 1]; NF4: [out, in / 32, 1] (each group's absolute maximum); float32

    private QuantizedWeight(WeightQuantization kind, Tensor values, Tensor scales, long outFeatures, long inFeatures)
    {
        Kind = kind;
        this.values = values;
        this.scales = scales;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
    }

    public WeightQuantization Kind { get; }

    public long OutFeatures { get; }

    public long InFeatures { get; }

    /// <summary>Bytes held: the integer codes and the scales.</summary>
    public long Bytes => BytesOf(values) + BytesOf(scales);

    /// <summary>The bytes a tensor's elements take.</summary>
    public static long BytesOf(Tensor tensor) => tensor.NumberOfElements * tensor.dtype switch
    {
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Int16 => 2,
        ScalarType.Float64 or ScalarType.Int64 => 8,
        _ => 4,
    };

    /// <summary>Whether <paramref name="kind"/> can hold a weight with this many inputs (NF4 needs whole groups of 32).</summary>
    public static bool Fits(WeightQuantization kind, long inFeatures) => kind != WeightQuantization.NF4 || inFeatures % Nf4GroupSize == 0;

    /// <summary>
    /// Quantizes a [out, in] weight (any float dtype, any device; the codes stay on its device), rounding each weight to
    /// the nearest level. The codes live as long as the layer holding them, not in the caller's dispose scope; <see cref="Dispose"/> frees them.
    /// </summary>
    public static QuantizedWeight Quantize(Tensor weight, WeightQuantization kind)
    {
        using var scope = NewDisposeScope();
        long outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        var w = weight.detach().to(ScalarType.Float32);
        switch (kind)
        {
            case WeightQuantization.Int8:
            {
                var scale = (w.abs().amax(new long[] { 1 }, keepdim: true) / 127).clamp_min(1e-12);          // [out, 1]
                var codes = (w / scale).round().clamp(-127, 127).to(ScalarType.Int8);                       // [out, in]
                return new QuantizedWeight(kind, codes.DetachFromDisposeScope(), scale.DetachFromDisposeScope(), outFeatures, inFeatures);
            }
            case WeightQuantization.NF4:
            {
                if (!Fits(kind, inFeatures))
                    throw new ArgumentException($"NF4 needs the inputs in whole groups of {Nf4GroupSize}; this weight has {inFeatures}.");
                var grouped = w.view(outFeatures, inFeatures / Nf4GroupSize, Nf4GroupSize);                    // [out, G, 32]
                var scale = grouped.abs().amax(new long[] { 2 }, keepdim: true).clamp_min(1e-12);             // [out, G, 1]
                using var levels = tensor(NormalFloatLevels);                                                 // [16]
                var codes = ((grouped / scale).unsqueeze(-1) - levels).abs().argmin(-1).to(ScalarType.Byte)   // [out, G, 32] nearest level
                    .view(outFeatures, inFeatures / 2, 2);                                                     // [out, in/2, 2] neighbours paired
                var packed = codes.select(2, 0) + codes.select(2, 1) * 16;                                    // [out, in/2] low nibble first
                return new QuantizedWeight(kind, packed.DetachFromDisposeScope(), scale.DetachFromDisposeScope(), outFeatures, inFeatures);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Only Int8 and NF4 quantize a weight.");
        }
    }

    /// <summary>The [out, in] weight in <paramref name="dtype"/>: codes times scales.</summary>
    public Tensor Dequantize(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        Tensor dense;
        if (Kind == WeightQuantization.Int8)
        {
            dense = values.to(ScalarType.Float32) * scales;                                                   // [out, in]
        }
        else
        {
            var packed = values.to(ScalarType.Int32);                                                         // [out, in/2]
            var low = packed.remainder(16);                                                                   // [out, in/2]
            var high = packed.floor_divide(16);                                                               // [out, in/2]
            var codes = stack(new[] { low, high }, dim: 2).view(OutFeatures, InFeatures / Nf4GroupSize, Nf4GroupSize);   // [out, G, 32]
            using var levels = tensor(NormalFloatLevels, device: values.device);                              // [16]
            dense = (levels[codes.to(ScalarType.Int64)] * scales).view(OutFeatures, InFeatures);               // [out, in]
        }
        return (dtype == ScalarType.Float32 ? dense : dense.to(dtype)).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        values.Dispose();
        scales.Dispose();
    }
}
