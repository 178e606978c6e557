using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.ML.Data;

namespace Microsoft.ML.Neo.MLNet.ModelZip;

/// <summary>
/// Loads a model zip through ML.NET, as an app does. ML.NET calls a transformer's loader by reflection, so the loader's
/// own clear error (a damaged zip, a zip from a newer library) arrives wrapped in a <see cref="TargetInvocationException"/>;
/// here it is unwrapped, keeping its stack trace. <see cref="NeoCatalog.LoadNeoDistill"/> is its public face.
/// </summary>
internal static class ModelZipLoader
{
    public static ITransformer Load(ModelOperationsCatalog catalog, string path)
    {
        try
        {
            return catalog.Load(path, out _);
        }
        catch (TargetInvocationException e) when (e.InnerException is UnreadableFileException or NotSupportedException)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    /// <summary>The NeoDistill transformer of a model zip: the model itself, or the last of a chain's.</summary>
    public static NeoDistillTransformer LoadDistilled(ModelOperationsCatalog catalog, string path)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path))
            throw new InvalidDataException($"'{path}' is a folder; a NeoDistill model is the .zip that mlContext.Model.Save (or neo distill --out) " +
                                           "wrote. Open a Hugging Face folder with CausalLM.FromPretrained.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model zip '{path}' not found; pass the .zip that mlContext.Model.Save (or neo distill --out) wrote.", path);
        if (!IsZip(path))
            throw new InvalidDataException($"'{path}' is not a model zip (it does not start with a zip header); pass the .zip that mlContext.Model.Save " +
                                           "(or neo distill --out) wrote.");
        ITransformer loaded;
        try
        {
            loaded = Load(catalog, path);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or InvalidDataException
                                      or IOException and not UnreadableFileException)
        {
            throw new InvalidDataException($"'{path}' is a zip but not an ML.NET model ({e.Message}); pass the .zip that mlContext.Model.Save " +
                                           "(or neo distill --out) wrote.", e);
        }
        var distilled = Find(loaded);
        if (distilled is null)
        {
            (loaded as IDisposable)?.Dispose();
            throw new InvalidDataException($"'{path}' is an ML.NET model zip without a NeoDistill transformer in it.");
        }
        return distilled;
    }

    private static NeoDistillTransformer? Find(ITransformer transformer) => transformer switch
    {
        NeoDistillTransformer neo => neo,
        IEnumerable<ITransformer> chain => chain.Select(Find).LastOrDefault(t => t is not null),
        _ => null,
    };

    private static bool IsZip(string path)
    {
        Span<byte> header = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.Read(header) == 4 && header.SequenceEqual("PK\u0003\u0004"u8);
    }
}
