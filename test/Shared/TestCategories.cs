namespace Microsoft.ML.Neo.Tests;

/// <summary>
/// The suite's two kinds of test. <c>./build.sh test</c> runs both. <c>dotnet test --filter
/// "TestCategory!=Integration"</c> runs the unit tests alone: numerics, formats, tokenizers, the loss, parsers and
/// the like, on tiny tensors and in-memory models (285 tests in 12 s on 2 cores, 2026-12-02). Integration tests are the classes that run a
/// whole <c>Fit</c>, a sweep, a server over loopback, or a child process (the neo tool, the samples).
/// </summary>
internal static class TestCategories
{
    public const string Integration = "Integration";
}
