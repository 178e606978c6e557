using System.CommandLine;
using Neo.Cli.Benchmarks;
using Neo.Cli.Commands;

namespace Neo.Cli.Terminal;

/// <summary>The neo command tree and its invocation.</summary>
internal static class NeoCommandLine
{
    public static RootCommand Create()
    {
        var root = new RootCommand("neo: knowledge distillation of language models with Microsoft.ML.Neo (docs/cli.md).")
        {
            CommonOptions.Json,
        };
        root.WithExample("neo distill --teacher ./teacher --student ./student --data train.jsonl --out student.zip");
        ExampleHelp.Install(root);
        foreach (var command in new[]
        {
            DistillCommand.Create(), ServeCommand.Create(), SweepCommand.Create(), EvaluateCommand.Create(), ExportCommand.Create(), PredictCommand.Create(),
            MakeStudentCommand.Create(), TokenizeCommand.Create(), BenchCommand.Create(), QuickstartCommand.Create(),
            BenchDistillCommand.Create(), BenchLoadCommand.Create(), BenchServedCommand.Create(), PrimingExperimentCommand.Create(), NeoExperimentCommand.Create(), MakeEmbeddedCommand.Create(),
        })
        {
            root.Subcommands.Add(command);
        }
        return root;
    }

    /// <summary>Parses and runs; parse errors exit with <see cref="ExitCodes.BadInput"/> after naming each problem.</summary>
    public static int Invoke(string[] args)
    {
        var parse = Create().Parse(args);
        // --help and --version run even when required options are missing.
        bool informational = parse.Action is not null && parse.Action is not System.CommandLine.Invocation.ParseErrorAction
                             && parse.Action != parse.CommandResult.Command.Action;
        if (parse.Errors.Count > 0 && !informational)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine("neo: " + error.Message);
            string command = parse.CommandResult.Command is RootCommand ? "neo" : "neo " + parse.CommandResult.Command.Name;
            Console.Error.WriteLine($"Run '{command} --help' for the options and an example.");
            return ExitCodes.BadInput;
        }
        return parse.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
    }
}
