namespace Microsoft.ML.Neo;

/// <summary>
/// What the CPU says about bf16 arithmetic: whether it has native bf16 instructions at all (<see cref="Supported"/>), and
/// whether they are known to beat float32 there (<see cref="Faster"/>), which is what <see cref="ComputePrecision.Auto"/>
/// goes by; apps read <see cref="Current"/> to choose a precision or to explain one. Measured through libtorch 2.10
/// on 2 cores (docs/performance.md): an AMD EPYC with AVX512_BF16 multiplies bf16
/// 2-3x faster than float32; an Intel Xeon with AVX512_BF16 but no AMX only half as fast (its bf16 dot-product
/// instruction has the same peak as two float32 FMAs, and conversions come on top). AMX-BF16 tiles are far faster than
/// either.
/// </summary>
/// <param name="Supported">True or false when the CPU's flags were read; null when they could not be.</param>
/// <param name="Faster">True where bf16 matrix products are known to beat float32 (AMX-BF16, or AMD with AVX512_BF16).</param>
/// <param name="Evidence">What was found, for log lines and error messages.</param>
internal sealed record CpuBf16Support(bool? Supported, bool Faster, string Evidence)
{
    private static readonly Lazy<CpuBf16Support> Detected = new(Detect);

    /// <summary>This machine's answer, read once.</summary>
    public static CpuBf16Support Current => Detected.Value;

    /// <summary>Judges a CPU from its vendor and feature flags (x86 "flags" or Arm "Features" words of /proc/cpuinfo).</summary>
    internal static CpuBf16Support FromFlags(IReadOnlyCollection<string> flags, string vendor = "")
    {
        var found = new[] { "avx512_bf16", "amx_bf16", "bf16" }.Where(flags.Contains).ToList();
        if (found.Count == 0)
            return new CpuBf16Support(false, false, "the CPU reports neither AVX512_BF16 nor AMX-BF16 (nor Arm BF16)");
        bool faster = flags.Contains("amx_bf16") || (vendor == "AuthenticAMD" && flags.Contains("avx512_bf16"));
        string cpu = vendor.Length > 0 ? $"the {vendor} CPU" : "the CPU";
        return new CpuBf16Support(true, faster, $"{cpu} reports {string.Join(" and ", found)}" +
            (faster ? "" : ", where bf16 matrix products are not known to beat float32 (no AMX-BF16)"));
    }

    private static CpuBf16Support Detect()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo)) return new CpuBf16Support(null, false, "the CPU's features are unknown (no /proc/cpuinfo)");
        string vendor = "";
        foreach (var line in File.ReadLines(cpuInfo))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim();
            if (key == "vendor_id") vendor = line[(colon + 1)..].Trim();
            if (key is "flags" or "Features")
                return FromFlags(line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal), vendor);
        }
        return new CpuBf16Support(null, false, "the CPU's features are unknown (/proc/cpuinfo lists no flags)");
    }
}
