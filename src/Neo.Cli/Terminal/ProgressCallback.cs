namespace Neo.Cli.Terminal;

/// <summary>
/// Reports progress synchronously to a delegate (Progress&lt;T&gt; posts to the thread pool, so reports can arrive late
/// or out of order).
/// </summary>
internal sealed class ProgressCallback<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
