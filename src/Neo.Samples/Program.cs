using Neo.Samples.Commands;

// Microsoft.ML.Neo samples: one sub-command each.
string command = args.Length > 0 ? args[0] : "quickstart";
var options = new CommandLine(args.Skip(1));
return command switch
{
    "quickstart" => QuickstartCommand.Run(options),
    "make-embedded" => MakeEmbeddedCommand.Run(options),
    "tokenize" => TokenizeCommand.Run(options),
    "predict" => PredictCommand.Run(options),
    "bench" => BenchCommand.Run(options),
    "bench-load" => BenchLoadCommand.Run(options),
    "bench-distill" => BenchDistillCommand.Run(options),
    "distill" => DistillCommand.Run(options),
    "make-student" => MakeStudentCommand.Run(options),
    "priming-experiment" => PrimingExperimentCommand.Run(options),
    "sweep" => SweepCommand.Run(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Neo.Samples <quickstart|distill|sweep|make-student|priming-experiment|make-embedded|predict|bench|bench-load|bench-distill|tokenize> [--option value ...]");
    return 2;
}
