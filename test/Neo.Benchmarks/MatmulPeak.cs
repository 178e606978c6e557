using System.Diagnostics;
using static TorchSharp.torch;

namespace Neo.Benchmarks;

/// <summary>Matrix-multiply throughput of this process's libtorch, the denominator of MFU.</summary>
internal static class MatmulPeak
{
    /// <returns>GFLOP/s of [m, k] × [k, n] in <paramref name="dtype"/>, the best of a few timed rounds.</returns>
    public static double Gflops(ScalarType dtype, int m, int k, int n, int rounds = 3)
    {
        using var scope = NewDisposeScope();
        var a = randn(m, k).to(dtype);
        var b = randn(k, n).to(dtype);
        matmul(a, b).Dispose(); // warm-up
        int count = Math.Max(1, (int)(4e9 / (2.0 * m * k * n)));
        double best = 0;
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i++) matmul(a, b).Dispose();
            best = Math.Max(best, 2.0 * m * k * n * count / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
