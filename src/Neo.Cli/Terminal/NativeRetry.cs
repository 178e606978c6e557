namespace Neo.Cli.Terminal;

/// <summary>
/// Contains what is left of the scalar race inside TorchSharp (docs/using-in-your-app.md): when a training run fails
/// with libtorch's "unknown scalar" error, it runs again, a bounded number of times, saying so. With a checkpoint folder
/// the new attempt continues from the last checkpoint (and ends with the weights of an unbroken run); without one it
/// starts over, which a fixed seed makes give the same result.
/// </summary>
internal static class NativeRetry
{
    public const int MaxRetries = 3;

    /// <summary>
    /// Whether libtorch failed on a scalar whose type tag was overwritten: the race between a .NET finalizer and a native
    /// call that TorchSharp 0.107 leaves open (the library holds its scalars for that reason). Running the work again is safe.
    /// </summary>
    public static bool IsScalarRace(Exception e) =>
        e is System.Runtime.InteropServices.ExternalException && e.Message.Contains("Scalar.h", StringComparison.Ordinal);

    /// <param name="resumeNote">What the new attempt starts from, completing "running it again, ...".</param>
    public static T Run<T>(Func<T> attempt, Action<string> warn, string resumeNote)
    {
        for (int failures = 0; ; failures++)
        {
            try
            {
                return attempt();
            }
            catch (Exception e) when (failures < MaxRetries && IsScalarRace(e))
            {
                warn($"libtorch failed inside a native call ({e.Message.Split('\n')[0].Trim()}), the known TorchSharp scalar race; " +
                     $"running it again, {resumeNote} (retry {failures + 1} of {MaxRetries}).");
            }
        }
    }
}
