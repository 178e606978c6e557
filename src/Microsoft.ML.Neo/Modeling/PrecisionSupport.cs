using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>What the CPU says about native bf16 arithmetic: yes, no, or unknown (no flags to read on this system).</summary>
/// <param name="Supported">True or false when the CPU's flags were read; null when they could not be.</param>
/// <param name="Evidence">What was found, for log lines and error messages.</param>
internal sealed record CpuBf16Support(bool? Supported, string Evidence)
{
    private static readonly Lazy<CpuBf16Support> Detected = new(Detect);

    /// <summary>This machine's answer, read once.</summary>
    public static CpuBf16Support Current => Detected.Value;

    /// <summary>Judges a CPU from its feature flags (x86 "flags" or Arm "Features" words of /proc/cpuinfo).</summary>
    public static CpuBf16Support FromFlags(IReadOnlyCollection<string> flags)
    {
        var found = new[] { "avx512_bf16", "amx_bf16", "bf16" }.Where(flags.Contains).ToList();
        return found.Count > 0
            ? new CpuBf16Support(true, $"the CPU reports {string.Join(" and ", found)}")
            : new CpuBf16Support(false, "the CPU reports neither AVX512_BF16 nor AMX-BF16 (nor Arm BF16)");
    }

    private static CpuBf16Support Detect()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo)) return new CpuBf16Support(null, "the CPU's features are unknown (no /proc/cpuinfo)");
        foreach (var line in File.ReadLines(cpuInfo))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim();
            if (key is "flags" or "Features")
                return FromFlags(line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal));
        }
        return new CpuBf16Support(null, "the CPU's features are unknown (/proc/cpuinfo lists no flags)");
    }
}

/// <summary>Turns a <see cref="ComputePrecision"/> into the dtype the models are held in on a given device.</summary>
internal static class PrecisionSupport
{
    /// <summary>The weights' dtype for <paramref name="requested"/> on <paramref name="device"/>.</summary>
    /// <exception cref="NotSupportedException">BFloat16 was asked for on a CPU that reports no native bf16 arithmetic.</exception>
    public static ScalarType Resolve(ComputePrecision requested, Device device) => Resolve(requested, device, CpuBf16Support.Current);

    internal static ScalarType Resolve(ComputePrecision requested, Device device, CpuBf16Support cpu)
    {
        bool native = device.type == DeviceType.CUDA || cpu.Supported == true;
        return requested switch
        {
            ComputePrecision.Float32 => ScalarType.Float32,
            ComputePrecision.Auto => native ? ScalarType.BFloat16 : ScalarType.Float32,
            ComputePrecision.BFloat16 when device.type == DeviceType.CUDA || cpu.Supported != false => ScalarType.BFloat16,
            ComputePrecision.BFloat16 => throw new NotSupportedException(
                $"Precision BFloat16 was requested, but {cpu.Evidence}: its bf16 matrix products would be emulated and run slower " +
                "than float32. Use Precision = Float32, or Auto (bf16 only where the device multiplies it natively)."),
            _ => throw new ArgumentOutOfRangeException(nameof(requested), requested, "Precision must be Auto, Float32 or BFloat16."),
        };
    }

    /// <summary>A log line saying what was chosen and why.</summary>
    public static string Describe(ComputePrecision requested, ScalarType chosen, Device device)
    {
        string name = chosen == ScalarType.BFloat16 ? "bfloat16 (adapters, norms and the loss in float32)" : "float32";
        string why = device.type == DeviceType.CUDA ? "CUDA device" : CpuBf16Support.Current.Evidence;
        return $"precision: {name}; asked for {requested}, {why}.";
    }
}
