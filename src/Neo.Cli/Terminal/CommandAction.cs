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
        var standardOutput = Console.Out;
        // Under --json, lines a command writes with Console.WriteLine go to standard error (and are kept), so standard
        // output holds one JSON document; a command without a result of its own reports those lines as its result.
        var lines = console.Json ? new LineRecorder(Console.Error) : null;
        if (lines is not null) Console.SetOut(lines);
        try
        {
            int code = work(parse, console, Interruption.Token);
            if (lines is not null && !console.ResultWritten) console.WriteResult(new { exitCode = code, log = lines.Lines });
            return code;
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
                                      or InvalidDataException or Microsoft.ML.Neo.UnreadableFileException or NotSupportedException or UsageException
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
        finally
        {
            if (lines is not null) Console.SetOut(standardOutput);
        }
    }

    // Writes through to another writer and keeps every complete line.
    private sealed class LineRecorder(TextWriter inner) : TextWriter
    {
        private readonly System.Text.StringBuilder current = new();

        public List<string> Lines { get; } = new();

        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            inner.Write(value);
            lock (Lines)
            {
                if (value == '\n')
                {
                    Lines.Add(current.ToString().TrimEnd('\r'));
                    current.Clear();
                }
                else
                {
                    current.Append(value);
                }
            }
        }

        public override void Flush() => inner.Flush();
    }
}

/// <summary>A command line that parses but asks for something that cannot be done; exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
