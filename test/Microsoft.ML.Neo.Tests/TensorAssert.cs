using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests;

internal static class TensorAssert
{
    /// <summary>True when both tensors have the same shape and bit-identical values.</summary>
    public static bool Identical(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}

/// <summary>Collects every progress report, synchronously, in order.</summary>
internal sealed class ProgressRecorder : IProgress<Microsoft.ML.Neo.TrainingProgress>
{
    public List<Microsoft.ML.Neo.TrainingProgress> Reports { get; } = new();

    public void Report(Microsoft.ML.Neo.TrainingProgress value) => Reports.Add(value);
}
