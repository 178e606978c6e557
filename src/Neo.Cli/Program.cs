using Neo.Cli.Terminal;

// neo: the Microsoft.ML.Neo command-line tool. `neo --help` lists the commands; docs/cli.md documents them.
return NeoCommandLine.Invoke(args);
