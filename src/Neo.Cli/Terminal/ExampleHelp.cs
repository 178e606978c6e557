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
        help.Action = new Action((HelpAction)help.Action!);
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
