using System.Runtime.InteropServices;

namespace Neo.Cli.Terminal;

/// <summary>
/// Turns the first Ctrl+C (or SIGTERM) into a cancellation that training honours between two steps, so the run ends
/// cleanly with its checkpoint saved; a second Ctrl+C ends the process at once.
/// </summary>
internal static class Interruption
{
    private static readonly CancellationTokenSource Source = new();
    private static PosixSignalRegistration? terminate;
    private static int installed;

    public static CancellationToken Token
    {
        get
        {
            Install();
            return Source.Token;
        }
    }

    private static void Install()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1) return;
        Console.CancelKeyPress += (_, e) =>
        {
            if (Source.IsCancellationRequested) return; // second Ctrl+C: let the runtime end the process
            e.Cancel = true;
            Console.Error.WriteLine($"{NeoCommandLine.ProgramName}: stopping after the current step (Ctrl+C again to abort at once)...");
            Source.Cancel();
        };
        terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Source.Cancel();
        });
    }
}
