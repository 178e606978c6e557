using System.Reflection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Neo;

/// <summary>
/// The <see cref="IHostEnvironment"/> behind an ML.NET catalog. ML.NET exposes it only through the explicitly
/// implemented internal interface <c>IInternalCatalog</c> (in Microsoft.ML.Data), so it is read by reflection here,
/// in this one place.
/// </summary>
internal static class CatalogEnvironment
{
    private static readonly PropertyInfo EnvironmentProperty =
        typeof(TransformsCatalog).GetInterfaces().Single(i => i.Name == "IInternalCatalog").GetProperty("Environment")
        ?? throw new MissingMemberException("IInternalCatalog.Environment not found; Microsoft.ML's version does not match.");

    public static IHostEnvironment Of(TransformsCatalog catalog) =>
        (IHostEnvironment)(EnvironmentProperty.GetValue(catalog)
            ?? throw new InvalidOperationException("The catalog has no environment."));
}
