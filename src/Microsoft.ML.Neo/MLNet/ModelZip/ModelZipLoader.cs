using System.Reflection;
using System.Runtime.ExceptionServices;

namespace Microsoft.ML.Neo.MLNet.ModelZip;

/// <summary>
/// Loads a model zip through ML.NET, as an app does, for the neo tool and NeoServer. ML.NET calls a transformer's loader
/// by reflection, so the loader's own clear error (a damaged zip, a zip from a newer library) arrives wrapped in a
/// <see cref="TargetInvocationException"/>; here it is unwrapped, keeping its stack trace.
/// </summary>
internal static class ModelZipLoader
{
    public static ITransformer Load(string path)
    {
        try
        {
            return new MLContext().Model.Load(path, out _);
        }
        catch (TargetInvocationException e) when (e.InnerException is UnreadableFileException or NotSupportedException)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
