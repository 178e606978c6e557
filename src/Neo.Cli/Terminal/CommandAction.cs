using System.CommandLine;

namespace Neo.Cli.Terminal;

/// <summary>
/// Runs a command's work and maps what it throws to the documented exit codes (<see cref="ExitCodes"/>), with the
/// library's own message: its exceptions already name the problem and the fix.
/// </summary>
internal static class CommandAction
{
    public delegate int Work(ParseResult parse, CliConsole console, CancellationToken cancellation);

    public static void SetWork(this Command command, Work work) => command.SetAction(parse => Run(parse, work));

    private static int Run(ParseResult parse, Work work)
    {
        var console = new CliConsole(parse.GetValue(CommonOptions.Json));
        try
        {
            return work(parse, console, Interruption.Token);
        }
        catch (OperationCanceledException) when (Interruption.Token.IsCancellationRequested)
        {
            console.WriteError("stopped by Ctrl+C. A checkpoint folder, if the command had one, holds the steps done; run the same command again to continue.", ExitCodes.Cancelled);
            return ExitCodes.Cancelled;
        }
        catch (DllNotFoundException e)
        {
            console.WriteError(e.Message, ExitCodes.NativesMissing);
            return ExitCodes.NativesMissing;
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException
                                      or InvalidDataException or NotSupportedException or UsageException
                                      or Microsoft.ML.Neo.TeacherServerException)
        {
            // The input (or a served teacher's settings) is wrong: one line that says what to change, no stack trace.
            console.WriteError(CliTerms.Message(e), ExitCodes.BadInput);
            return ExitCodes.BadInput;
        }
        catch (Exception e)
        {
            console.WriteError(e.ToString(), ExitCodes.Failure);
            return ExitCodes.Failure;
        }
    }
}

/// <summary>A command line that parses but asks for something that cannot be done; exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
