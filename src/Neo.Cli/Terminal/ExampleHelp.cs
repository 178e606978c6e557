using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Neo.Cli.Terminal;

/// <summary>
/// --help with an example: the standard help, then "Example:" and a command line the reader can copy. Descriptions stay
/// one line, so the command list of `neo --help` stays short.
/// </summary>
internal static class ExampleHelp
{
    private static readonly Dictionary<Command, string> Examples = new();

    /// <summary>Attaches an example to a command and returns the command.</summary>
    public static Command WithExample(this Command command, string example)
    {
        Examples[command] = example;
        return command;
    }

    /// <summary>Makes the root's (recursive) help option print the example of the command it is asked about.</summary>
    public static void Install(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        var standard = (HelpAction)help.Action!;
        // Wrapped to the terminal (at most 120 columns), and to 100 when written to a file or a pipe.
        standard.MaxWidth = Console.IsOutputRedirected ? 100 : Math.Clamp(SafeWindowWidth(), 60, 120);
        help.Action = new Action(standard);
    }

    private static int SafeWindowWidth()
    {
        try { return Console.WindowWidth; }
        catch (IOException) { return 100; }
    }

    private sealed class Action(HelpAction standard) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int exitCode = standard.Invoke(parseResult);
            if (Examples.TryGetValue(parseResult.CommandResult.Command, out var example))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Example:");
                output.WriteLine("  " + example);
                output.WriteLine();
            }
            return exitCode;
        }
    }
}
