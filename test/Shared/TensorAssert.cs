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

/// <summary>Runs an action on every report, synchronously, on the reporting thread (Progress&lt;T&gt; would post it).</summary>
internal sealed class ProgressCallback<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
