using Neo.Benchmarks;
using Neo.Cli.Terminal;

// neo-bench: the benchmarks (docs/performance.md) and make-embedded. `./build.sh bench` runs `train`.
var root = NeoCommandLine.Create(
    "neo-bench: Microsoft.ML.Neo's benchmarks (ratios against matmul peaks or a baseline measured in the same run) " +
    "and the builder of the embedded quickstart models. 'neo-bench <command> --help' shows a command's options.",
    "neo-bench train --steps 40 --repeats 3",
    [TrainingBench.Create(), AccumulationBench.Create(), GenerationBench.Create(), ServerGenerationBench.Create(), DistillBench.Create(), LoadBench.Create(), ServedBench.Create(), CacheBench.Create(), QuantizationBench.Create(), AlignmentCheck.Create(), SoakBench.Create(), MakeEmbeddedCommand.Create()]);
return NeoCommandLine.Invoke(root, args);
