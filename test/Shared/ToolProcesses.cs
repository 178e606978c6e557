using System.Diagnostics;

namespace Microsoft.ML.Neo.Tests;

/// <summary>
/// The neo tool and the repository's other programs run as processes, as a user runs them: both output streams read,
/// and a time limit, so a program that hangs fails its test instead of holding the suite.
/// </summary>
internal static class ToolProcesses
{
    /// <summary>Starts the built neo tool with both output streams redirected, and these environment variables set.</summary>
    internal static Process Start(IReadOnlyDictionary<string, string>? environment, string[] args) =>
        StartProgram(Path.Combine(RepositoryPaths.ToolFolder(), "neo.dll"), environment, args);

    /// <summary>Starts a built .NET program (dotnet PROGRAM.dll ARGS) with both output streams redirected.</summary>
    internal static Process StartProgram(string program, IReadOnlyDictionary<string, string>? environment, string[] args) =>
        StartExecutable("dotnet", [program, .. args], environment);

    /// <summary>Starts an executable (dotnet, node) with both output streams redirected, in a working folder when given.</summary>
    private static Process StartExecutable(string executable, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return Process.Start(start)!;
    }

    /// <summary>Runs an executable in a working folder to its end, within <paramref name="timeout"/>.</summary>
    internal static (int ExitCode, string Stdout, string Stderr) Run(string executable, IEnumerable<string> args, string workingDirectory, TimeSpan timeout) =>
        Completed(StartExecutable(executable, args, workingDirectory: workingDirectory), timeout);

    internal static (int ExitCode, string Stdout, string Stderr) Neo(params string[] args) => Neo(environment: null, args);

    internal static (int ExitCode, string Stdout, string Stderr) Neo(IReadOnlyDictionary<string, string>? environment, string[] args) =>
        Completed(Start(environment, args));

    /// <summary>Runs a built .NET program to its end: exit code, standard output, standard error.</summary>
    internal static (int ExitCode, string Stdout, string Stderr) RunProgram(string program, params string[] args) =>
        Completed(StartProgram(program, null, args));

    // A command that hangs fails its test instead of holding the suite: 10 minutes unless the caller says otherwise.
    private static (int ExitCode, string Stdout, string Stderr) Completed(Process started, TimeSpan? timeout = null)
    {
        using var process = started;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromMinutes(10);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not finish within {limit.TotalMinutes:F0} minutes.");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

}
