using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Modeling;

/// <summary>How <see cref="ComputePrecision"/> becomes a dtype, and the error when bf16 is asked of a CPU without it.</summary>
[TestClass]
public sealed class PrecisionSupportTests
{
    private static readonly string[] Avx512Bf16Flags = { "fpu", "avx2", "avx512f", "avx512_bf16" };
    private static readonly CpuBf16Support AmdAvx512Bf16 = CpuBf16Support.FromFlags(Avx512Bf16Flags, "AuthenticAMD");
    private static readonly CpuBf16Support IntelAvx512Bf16 = CpuBf16Support.FromFlags(Avx512Bf16Flags, "GenuineIntel");
    private static readonly CpuBf16Support IntelAmx = CpuBf16Support.FromFlags(new[] { "avx512_bf16", "amx_tile", "amx_bf16" }, "GenuineIntel");
    private static readonly CpuBf16Support Avx2Only = CpuBf16Support.FromFlags(new[] { "fpu", "avx2", "fma" });
    private static readonly CpuBf16Support Unknown = new(null, false, "the CPU's features are unknown");

    [TestMethod]
    public void FlagsAreReadForX86AmxAndArm()
    {
        Assert.AreEqual(true, AmdAvx512Bf16.Supported);
        Assert.AreEqual(true, IntelAvx512Bf16.Supported);
        Assert.AreEqual(true, IntelAmx.Supported);
        Assert.AreEqual(true, CpuBf16Support.FromFlags(new[] { "fp", "asimd", "bf16" }).Supported, "Arm's Features line");
        Assert.AreEqual(false, Avx2Only.Supported);
        Assert.AreEqual(false, CpuBf16Support.FromFlags(new[] { "avx512f", "avx512_vnni" }).Supported, "AVX-512 alone is not bf16");
    }

    [TestMethod]
    public void AutoPicksBfloat16OnlyWhereItIsKnownToBeatFloat32()
    {
        Assert.AreEqual(ScalarType.BFloat16, PrecisionSupport.Resolve(ComputePrecision.Auto, CPU, AmdAvx512Bf16), "AMD EPYC: 2-3x float32");
        Assert.AreEqual(ScalarType.BFloat16, PrecisionSupport.Resolve(ComputePrecision.Auto, CPU, IntelAmx), "AMX tiles");
        Assert.AreEqual(ScalarType.Float32, PrecisionSupport.Resolve(ComputePrecision.Auto, CPU, IntelAvx512Bf16), "Intel without AMX: 0.5x float32");
        Assert.AreEqual(ScalarType.Float32, PrecisionSupport.Resolve(ComputePrecision.Auto, CPU, Avx2Only));
        Assert.AreEqual(ScalarType.Float32, PrecisionSupport.Resolve(ComputePrecision.Auto, CPU, Unknown), "unknown: the safe choice");
        Assert.AreEqual(ScalarType.Float32, PrecisionSupport.Resolve(ComputePrecision.Float32, CPU, AmdAvx512Bf16));
        Assert.AreEqual(ScalarType.BFloat16, PrecisionSupport.Resolve(ComputePrecision.BFloat16, CPU, IntelAvx512Bf16), "asked for: it runs (slower, half the memory)");
        Assert.AreEqual(ScalarType.BFloat16, PrecisionSupport.Resolve(ComputePrecision.BFloat16, CPU, Unknown), "not known to be missing");
    }

    [TestMethod]
    public void Bfloat16OnACpuWithoutItFailsNamingTheReasonAndTheFix()
    {
        var error = Assert.ThrowsExactly<NotSupportedException>(() => PrecisionSupport.Resolve(ComputePrecision.BFloat16, CPU, Avx2Only));
        StringAssert.Contains(error.Message, "AVX512_BF16");
        StringAssert.Contains(error.Message, "Precision = Float32");
        StringAssert.Contains(error.Message, "Auto");
    }

    [TestMethod]
    public void AnUndefinedPrecisionIsRejectedByTheOptions()
    {
        var options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", Precision = (ComputePrecision)7 };
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate);
        StringAssert.Contains(error.Message, "Precision");
        var responses = new NeoTeacherResponseOptions { Teacher = new TeacherModel("t"), Precision = (ComputePrecision)7 };
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(responses.Validate);
    }

    [TestMethod]
    public void ThisMachinesAnswerMatchesItsCpuFlags()
    {
        // Whatever this CPU is, Auto must agree with what /proc/cpuinfo says (the benchmarks rely on it).
        var current = CpuBf16Support.Current;
        var expected = current.Faster ? ScalarType.BFloat16 : ScalarType.Float32;
        Assert.AreEqual(expected, PrecisionSupport.Resolve(ComputePrecision.Auto, CPU));
        if (File.Exists("/proc/cpuinfo"))
        {
            bool flagged = File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags") && (l.Contains(" avx512_bf16") || l.Contains(" amx_bf16")));
            Assert.AreEqual(flagged, current.Supported == true, current.Evidence);
        }
    }
}
