using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;


/// <summary>Turns a <see cref="ComputePrecision"/> into the dtype the models are held in on a given device.</summary>
internal static class PrecisionSupport
{
    /// <summary>The weights' dtype for <paramref name="requested"/> on <paramref name="device"/>.</summary>
    /// <exception cref="NotSupportedException">BFloat16 was asked for on a CPU that reports no native bf16 arithmetic.</exception>
    public static ScalarType Resolve(ComputePrecision requested, Device device) => Resolve(requested, device, CpuBf16Support.Current);

    internal static ScalarType Resolve(ComputePrecision requested, Device device, CpuBf16Support cpu)
    {
        bool faster = device.type == DeviceType.CUDA || cpu.Faster;
        return requested switch
        {
            ComputePrecision.Float32 => ScalarType.Float32,
            ComputePrecision.Auto => faster ? ScalarType.BFloat16 : ScalarType.Float32,
            ComputePrecision.BFloat16 when device.type == DeviceType.CUDA || cpu.Supported != false => ScalarType.BFloat16,
            ComputePrecision.BFloat16 => throw new NotSupportedException(
                $"Precision BFloat16 was requested, but {cpu.Evidence}: its bf16 matrix products would be emulated and run slower " +
                "than float32. Use Precision = Float32, or Auto (bf16 only where it is known to beat float32)."),
            _ => throw new ArgumentOutOfRangeException(nameof(requested), requested, "Precision must be Auto, Float32 or BFloat16."),
        };
    }

    /// <summary>The name a weight dtype goes by in logs, model zips and <see cref="CausalLM.WeightDtype"/>.</summary>
    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Weights are held in float32 or bfloat16."),
    };

    /// <summary>A log line saying what was chosen and why.</summary>
    public static string Describe(ComputePrecision requested, ScalarType chosen, Device device)
    {
        string name = Name(chosen) + (chosen == ScalarType.BFloat16 ? " (adapters, norms and the loss in float32)" : "");
        string why = device.type == DeviceType.CUDA ? "CUDA device" : CpuBf16Support.Current.Evidence;
        return $"precision: {name}; asked for {requested}, {why}.";
    }
}
