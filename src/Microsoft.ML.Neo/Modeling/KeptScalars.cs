using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// Tensor arithmetic whose scalar operands outlive the native call. TorchSharp 0.107 turns a .NET number (and the
/// implicit alpha of a tensor sum <c>a + b</c>; <c>a - b</c> passes none) into a <see cref="Scalar"/> object, passes its native handle to libtorch
/// and lets the object die at once; a garbage collection during the call lets its finalizer free the native scalar
/// while libtorch reads it ("Expected false to be true ... Scalar.h"). Every hot path (forward, loss, optimizer) uses
/// these instead: the scalars are either rooted for the life of the process or held in a <c>using</c> until the call
/// has returned. <c>neo bench-soak --gc-stress</c> measures what is left (docs/using-in-your-app.md).
/// </summary>
internal static class KeptScalars
{
    // Rooted in static fields: never collected, so never finalized.
    private static readonly Scalar OneScalar = 1.ToScalar();

    /// <summary>The scalar 1, alive for the life of the process (the alpha of a plain sum).</summary>
    public static Scalar One => OneScalar;

    /// <summary><c>a + b</c>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, OneScalar);

    /// <summary><c>a * value</c>.</summary>
    public static Tensor Times(this Tensor a, double value)
    {
        using var scalar = value.ToScalar();
        return a.mul(scalar);
    }

    /// <summary><c>a / value</c>.</summary>
    public static Tensor DividedBy(this Tensor a, double value)
    {
        using var scalar = value.ToScalar();
        return a.div(scalar);
    }

    /// <summary><c>a + value</c>.</summary>
    public static Tensor Plus(this Tensor a, double value)
    {
        using var scalar = value.ToScalar();
        return a.add(scalar, OneScalar);
    }

    /// <summary><c>a.masked_fill(mask, value)</c>.</summary>
    public static Tensor FilledWhere(this Tensor a, Tensor mask, double value)
    {
        using var scalar = value.ToScalar();
        return a.masked_fill(mask, scalar);
    }
}
