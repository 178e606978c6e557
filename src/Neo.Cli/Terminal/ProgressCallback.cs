using Microsoft.ML.Neo.Training;

namespace Neo.Cli.Terminal;

/// <summary>
/// Reports training progress synchronously to a delegate (Progress&lt;T&gt; posts to the thread pool, so reports can
/// arrive late or out of order).
/// </summary>
internal sealed class ProgressCallback(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
