namespace Neo.Cli.Terminal;

/// <summary>What every neo command returns to the shell (listed in docs/cli.md).</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>An unexpected error; the message and stack trace go to standard error.</summary>
    public const int Failure = 1;

    /// <summary>Bad input: unknown or missing options, a missing or unreadable file or folder, an unsupported setting.</summary>
    public const int BadInput = 2;

    /// <summary>libtorch, the native library the tensors run on, could not be loaded.</summary>
    public const int NativesMissing = 3;

    /// <summary>A check the command runs did not pass (tokenize --check, quickstart's reload comparison).</summary>
    public const int CheckFailed = 4;

    /// <summary>Stopped by Ctrl+C or SIGTERM between two steps; a configured checkpoint holds the work done.</summary>
    public const int Cancelled = 130;
}
