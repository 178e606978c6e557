using System.CommandLine;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Training;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Evaluation;
using Microsoft.ML.Neo.Modeling;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Benchmarks;

/// <summary>
/// Regenerates one of the embedded checkpoints by full-parameter training on the synthetic task:
///   neo-bench make-embedded --role teacher|student|teacher-primed|styled-teacher|styled-student|styled-teacher-primed --out src/Neo.Cli/EmbeddedModels/&lt;role&gt;
/// (teacher-primed is the response-priming experiment's teacher, trained on PrimedTeacherData; the styled pair is the
/// distillation task's, trained on clean StyledWordProblems; styled-teacher-primed is the priming teacher on that task).
/// </summary>
internal static class MakeEmbeddedCommand
{
    public static Command Create()
    {
        var roleOption = With("--role", "teacher", "Which checkpoint: " + string.Join(", ", EmbeddedRecipes.Roles) + ".").AcceptOnlyFromAmong(EmbeddedRecipes.Roles);
        var outOption = Optional<string?>("--out", "Where to write it (default: src/Neo.Cli/EmbeddedModels/<role>, run from the repository root).");
        var hiddenOption = Optional<int?>("--hidden", "Hidden size (default: the role's recipe).");
        var layersOption = Optional<int?>("--layers", "Decoder layers.");
        var headsOption = Optional<int?>("--heads", "Attention heads.");
        var kvHeadsOption = Optional<int?>("--kv-heads", "Key/value heads.");
        var intermediateOption = Optional<int?>("--intermediate", "MLP intermediate size.");
        var examplesOption = Optional<int?>("--examples", "Training problems.");
        var epochsOption = Optional<int?>("--epochs", "Epochs.");
        var batchOption = Optional<int?>("--batch", "Batch size.");
        var lrOption = Optional<double?>("--lr", "Learning rate.");
        var stepsOption = Optional<int?>("--steps", "Most steps (0: no limit).");
        var seedOption = Optional<int?>("--seed", "Seed.");
        var evalOption = With("--eval", 200, "Held-out problems to measure exact match on afterwards (0: none).");
        var shapesOption = Optional<string?>("--shapes", "Comma-separated problem shapes to train on (default: the recipe's).");
        var command = new Command("make-embedded",
            "Regenerate one of the embedded quickstart checkpoints by full-parameter training on the synthetic task.")
        {
            roleOption, outOption, hiddenOption, layersOption, headsOption, kvHeadsOption, intermediateOption, examplesOption,
            epochsOption, batchOption, lrOption, stepsOption, seedOption, evalOption, shapesOption,
        }.WithExample("neo-bench make-embedded --role student --out src/Neo.Cli/EmbeddedModels/student");
        command.SetWork((parse, console, _) => Run(parse.GetValue(roleOption)!, parse.GetValue(outOption), parse.GetValue(hiddenOption),
            parse.GetValue(layersOption), parse.GetValue(headsOption), parse.GetValue(kvHeadsOption), parse.GetValue(intermediateOption),
            parse.GetValue(examplesOption), parse.GetValue(epochsOption), parse.GetValue(batchOption), parse.GetValue(lrOption),
            parse.GetValue(stepsOption), parse.GetValue(seedOption), parse.GetValue(evalOption), parse.GetValue(shapesOption)));
        return command;
    }

    private static int Run(string role, string? outFolder, int? hiddenSize, int? layerCount, int? heads, int? kvHeads, int? intermediate,
        int? exampleCount, int? epochCount, int? batchSize, double? learningRate, int? stepLimit, int? seedValue, int evalCount, string? shapeList)
    {
        var defaults = EmbeddedRecipes.For(role);
        string output = outFolder ?? Path.Combine("src", "Neo.Cli", "EmbeddedModels", role);
        var config = defaults.Config with
        {
            HiddenSize = hiddenSize ?? defaults.Config.HiddenSize,
            NumHiddenLayers = layerCount ?? defaults.Config.NumHiddenLayers,
            NumAttentionHeads = heads ?? defaults.Config.NumAttentionHeads,
            NumKeyValueHeads = kvHeads ?? defaults.Config.NumKeyValueHeads,
            IntermediateSize = intermediate ?? defaults.Config.IntermediateSize,
        };
        int examples = exampleCount ?? defaults.Examples;
        int epochs = epochCount ?? defaults.Epochs;
        int batch = batchSize ?? defaults.BatchSize;
        double lr = learningRate ?? defaults.LearningRate;
        int maxSteps = stepLimit ?? defaults.MaxSteps;
        int seed = seedValue ?? defaults.Seed;

        Console.WriteLine($"Training the {role} from scratch: hidden {config.HiddenSize}, {config.NumHiddenLayers} layers, " +
                          $"{examples} problems x {epochs} epoch(s), batch {batch}, lr {lr}, max steps {maxSteps}.");
        int[]? shapes = shapeList is not null ? shapeList.Split(',').Select(int.Parse).ToArray() : defaults.Shapes;
        if (defaults.Styled && shapes is not null) throw new ArgumentException("--shapes applies to the original task only, not to the styled roles.");
        var problems = defaults.Styled
            ? StyledWordProblems.Generate(examples, EmbeddedRecipes.TrainingDataSeed + seed) // clean: every step right, every solution worked
            : ArithmeticWordProblems.Generate(examples, EmbeddedRecipes.TrainingDataSeed + seed, shapes);
        Console.WriteLine($"Problem shapes: {(shapes is null ? "all" : string.Join(",", shapes))}.");
        var pairs = (defaults.Primed, defaults.Styled) switch
        {
            // Careless on plain prompts: the styled task's own slips (carried forward), at the same rate as the original's.
            (true, true) => PrimedTeacherData.Generate(problems, seed,
                StyledWordProblems.Generate(examples, EmbeddedRecipes.TrainingDataSeed + seed, new ReferenceNoise(SlipRate: 0.3, AnswerOnlyRate: 0))),
            (true, false) => PrimedTeacherData.Generate(problems, seed),
            // A byte-level tokenizer keeps the space between "Answer:" and the response (SentencePiece adds it itself).
            _ => problems.Select(p => (p.Prompt, defaults.ByteLevel ? " " + p.Solution : p.Solution)).ToList(),
        };
        using var model = EmbeddedTraining.TrainFromScratch(config, pairs, epochs, batch, lr, seed, new ProgressCallback<TrainingProgress>(p =>
        {
            if (p.Step % 100 == 0 || p.Step == p.TotalSteps) Console.WriteLine(p);
        }), maxSteps, defaults.ByteLevel ? EmbeddedTask.CreateByteLevelTokenizer() : null);
        model.SavePretrained(output, SafeTensorsDtype.BFloat16);
        Console.WriteLine($"Saved to {output}.");
        if (evalCount > 0)
        {
            var heldOut = EmbeddedRecipes.HeldOutProblems(defaults.Styled, evalCount);
            using var reloaded = CausalLM.FromPretrained(output);
            Console.WriteLine($"Held-out exact match ({evalCount} problems): {ExactMatchEvaluator.Accuracy(reloaded, heldOut):P1}");
        }
        return ExitCodes.Success;
    }
}
