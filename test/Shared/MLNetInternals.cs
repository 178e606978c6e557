using System.Reflection;

namespace Microsoft.ML.Neo.Tests;

/// <summary>What tests call of ML.NET that ML.NET keeps internal.</summary>
internal static class MLNetInternals
{
    /// <summary>
    /// MLContext.CancelExecution, internal in Microsoft.ML 6.0.0 as in 5.0.1 ([BestFriend]: AutoML calls it when a
    /// time budget ends); called here as AutoML would.
    /// </summary>
    public static void CancelExecution(MLContext ml) =>
        typeof(MLContext).GetMethod("CancelExecution", BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance)!.Invoke(ml, null);
}
