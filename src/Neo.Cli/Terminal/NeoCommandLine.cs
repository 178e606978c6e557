using System.CommandLine;
using Neo.Cli.Commands;

namespace Neo.Cli.Terminal;

/// <summary>
/// A command tree and its invocation, shared by the neo tool, the benchmarks (test/Neo.Benchmarks) and the paper
/// experiments (src/Neo.Samples/PaperExperiments), which link this folder's files.
/// </summary>
internal static class NeoCommandLine
{
    /// <summary>The program's name in messages: neo, neo-bench or PaperExperiments.</summary>
    public static string ProgramName { get; } = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "neo";

    /// <summary>A root command with --json, an example, the help that shows examples, and the given commands.</summary>
    public static RootCommand Create(string description, string example, IEnumerable<Command> commands)
    {
        var root = new RootCommand(description) { CommonOptions.Json };
        root.WithExample(example);
        ExampleHelp.Install(root);
        foreach (var command in commands) root.Subcommands.Add(command);
        return root;
    }

    /// <summary>
    /// Parses and runs; parse errors exit with <see cref="ExitCodes.BadInput"/> after naming each problem, with the
    /// nearest command or option when a name was mistyped. An unknown command is an error even with --help.
    /// </summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        // --help and --version run even when required options are missing, but not past an unknown word.
        bool informational = parse.Action is not null && parse.Action is not System.CommandLine.Invocation.ParseErrorAction
                             && parse.Action != parse.CommandResult.Command.Action && parse.UnmatchedTokens.Count == 0;
        if (parse.Errors.Count > 0 && !informational)
        {
            var command = parse.CommandResult.Command;
            // Unknown words first, each once, with the nearest name when one is close: "--max-step 4" is one mistake
            // (an option and its value), not two unrecognized arguments.
            var messages = new List<string>();
            string? previous = null;
            foreach (string token in parse.UnmatchedTokens)
            {
                bool valueOfUnknownOption = previous is not null && previous.StartsWith('-') && !token.StartsWith('-');
                previous = token;
                if (valueOfUnknownOption) continue;
                messages.Add(Nearest(token, command) is { } suggestion
                    ? $"'{token}' is not known; did you mean '{suggestion}'?"
                    : $"'{token}' is not {(token.StartsWith('-') ? "an option" : "a command or argument")} of {(command is RootCommand ? ProgramName : ProgramName + " " + command.Name)}.");
            }
            messages.AddRange(parse.Errors.Select(e => CliTerms.Translate(e.Message))
                .Where(m => !m.StartsWith("Unrecognized command or argument", StringComparison.Ordinal)));
            messages = messages.Distinct().ToList();
            // "Required command was not provided" says nothing once an unknown word explains it.
            if (parse.UnmatchedTokens.Count > 0) messages.RemoveAll(m => m.StartsWith("Required command", StringComparison.Ordinal));
            foreach (string message in messages) Console.Error.WriteLine($"{ProgramName}: {message}");
            string name = command is RootCommand ? ProgramName : ProgramName + " " + command.Name;
            Console.Error.WriteLine($"Run '{name} --help' for the options and an example.");
            if (parse.GetValue(CommonOptions.Json) || args.Contains("--json"))
                Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { error = string.Join(" ", messages), exitCode = ExitCodes.BadInput },
                    new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return ExitCodes.BadInput;
        }
        return parse.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
    }

    // The subcommand or option of the command closest to a mistyped word, when it is close enough to be meant.
    private static string? Nearest(string token, Command command)
    {
        var names = token.StartsWith('-')
            ? command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive)))
                .SelectMany(o => o.Aliases.Prepend(o.Name))
            : command.Subcommands.Select(c => c.Name);
        var scored = names.Distinct().Select(n => (Name: n, Distance: EditDistance(token, n))).ToList();
        if (scored.Count == 0) return null;
        var best = scored.MinBy(p => p.Distance);
        return best.Distance <= Math.Max(2, token.Length / 3) ? best.Name : null;
    }

    private static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
