using System.IO.Compression;
using System.Reflection;

namespace Microsoft.ML.Neo.MLNet.ModelZip;

/// <summary>
/// The path of the zip a model is loading from, for error messages. ML.NET opens the file and hands the loader only the
/// zip's entries, so the path is read from the archive's underlying <see cref="FileStream"/> by reflection, here only.
/// When that fails (a zip loaded from a memory stream, a changed runtime), errors say "the model zip" instead.
/// </summary>
internal static class ModelZipName
{
    private const string Unknown = "the model zip";

    public static string Of(ModelLoadContext ctx)
    {
        try
        {
            var archive = FieldOfType<ZipArchive>(ctx.Repository);
            var stream = archive is null ? null : FieldOfType<Stream>(archive);
            return stream is FileStream file ? file.Name : Unknown;
        }
        catch (Exception e) when (e is FieldAccessException or TargetException or MemberAccessException)
        {
            return Unknown;
        }
    }

    private static T? FieldOfType<T>(object? owner) where T : class =>
        owner?.GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(f => typeof(T).IsAssignableFrom(f.FieldType))
            .Select(f => f.GetValue(owner) as T).FirstOrDefault(v => v is not null);
}
