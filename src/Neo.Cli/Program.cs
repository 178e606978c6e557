using Neo.Cli.Commands;
using Neo.Cli.Terminal;

// neo: the Microsoft.ML.Neo command-line tool. `neo --help` lists the commands; docs/cli.md documents them.
// The product commands only: the benchmarks live in test/Neo.Benchmarks, the paper experiments in src/Neo.Samples.
var root = NeoCommandLine.Create(
    "neo: knowledge distillation of language models with Microsoft.ML.Neo. " +
    "'neo <command> --help' shows a command's options and an example; 'neo help' lists the topics (data format, models, exit codes).",
    "neo distill --teacher ./teacher --student ./student --data train.jsonl --out student.zip",
    [
        InitCommand.Create(), DistillCommand.Create(), ServeCommand.Create(), SweepCommand.Create(), EvaluateCommand.Create(), ExportCommand.Create(),
        PredictCommand.Create(), AttentionCommand.Create(), MakeStudentCommand.Create(), TokenizeCommand.Create(), CaptureLogitsCommand.Create(), HelpCommand.Create(), QuickstartCommand.Create(),
    ]);
return NeoCommandLine.Invoke(root, args);
