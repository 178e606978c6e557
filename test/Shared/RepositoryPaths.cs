namespace Microsoft.ML.Neo.Tests;

/// <summary>Where the repository and the neo tool's build output are, seen from the test binaries.</summary>
internal static class RepositoryPaths
{
    /// <summary>The folder holding NeoMl.sln, above test/Microsoft.ML.Neo.Tests/bin/&lt;Configuration&gt;/net10.0/.</summary>
    public static string Root()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "NeoMl.sln"))) folder = folder.Parent;
        Assert.IsNotNull(folder, "repository root not found above " + AppContext.BaseDirectory);
        return folder.FullName;
    }

    /// <summary>src/Neo.Cli/bin/&lt;Configuration&gt;/&lt;framework&gt;/, built with the same configuration as the tests.</summary>
    public static string ToolFolder()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(Root(), "src", "Neo.Cli", "bin", output.Parent!.Name, output.Name);
    }

    /// <summary>A sample's built program: src/Neo.Samples/NAME/bin/&lt;Configuration&gt;/&lt;framework&gt;/NAME.dll.</summary>
    public static string SampleProgram(string name)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(Root(), "src", "Neo.Samples", name, "bin", output.Parent!.Name, output.Name, name + ".dll");
    }

    /// <summary>The benchmark harness: test/Neo.Benchmarks/bin/&lt;Configuration&gt;/&lt;framework&gt;/neo-bench.dll.</summary>
    public static string BenchProgram()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return Path.Combine(Root(), "test", "Neo.Benchmarks", "bin", output.Parent!.Name, output.Name, "neo-bench.dll");
    }
}
