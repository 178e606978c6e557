using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Evaluation;
using Microsoft.ML.Neo.Modeling;

namespace Neo.Samples.Commands;

/// <summary>
/// Regenerates one of the embedded checkpoints by full-parameter training on the synthetic task:
///   make-embedded --role teacher|student|teacher-primed --out src/Neo.Samples/EmbeddedModels/&lt;role&gt;
/// (teacher-primed is the response-priming experiment's teacher, trained on PrimedTeacherData).
/// </summary>
internal static class MakeEmbeddedCommand
{
    public static int Run(CommandLine args)
    {
        string role = args.Get("role", "teacher");
        var defaults = EmbeddedRecipes.For(role);
        string output = args.Get("out", Path.Combine("src", "Neo.Samples", "EmbeddedModels", role));
        int hidden = args.Get("hidden", defaults.Config.HiddenSize);
        var config = defaults.Config with
        {
            HiddenSize = hidden,
            NumHiddenLayers = args.Get("layers", defaults.Config.NumHiddenLayers),
            NumAttentionHeads = args.Get("heads", defaults.Config.NumAttentionHeads),
            NumKeyValueHeads = args.Get("kv-heads", defaults.Config.NumKeyValueHeads),
            IntermediateSize = args.Get("intermediate", defaults.Config.IntermediateSize),
        };
        int examples = args.Get("examples", defaults.Examples);
        int epochs = args.Get("epochs", defaults.Epochs);
        int batch = args.Get("batch", defaults.BatchSize);
        double lr = args.Get("lr", defaults.LearningRate);
        int maxSteps = args.Get("steps", defaults.MaxSteps);
        int seed = args.Get("seed", defaults.Seed);
        int evalCount = args.Get("eval", 200);

        Console.WriteLine($"Training the {role} from scratch: hidden {config.HiddenSize}, {config.NumHiddenLayers} layers, " +
                          $"{examples} problems x {epochs} epoch(s), batch {batch}, lr {lr}, max steps {maxSteps}.");
        int[]? shapes = args.Has("shapes") ? args.Get("shapes", "").Split(',').Select(int.Parse).ToArray() : defaults.Shapes;
        var problems = ArithmeticWordProblems.Generate(examples, EmbeddedRecipes.TrainingDataSeed + seed, shapes);
        Console.WriteLine($"Problem shapes: {(shapes is null ? "all" : string.Join(",", shapes))}.");
        var pairs = role == "teacher-primed"
            ? PrimedTeacherData.Generate(problems, seed)
            : problems.Select(p => (p.Prompt, p.Solution)).ToList();
        using var model = EmbeddedTask.TrainFromScratch(config, pairs, epochs, batch, lr, seed, new ProgressCallback(p =>
        {
            if (p.Step % 100 == 0 || p.Step == p.TotalSteps) Console.WriteLine(p);
        }), maxSteps);
        model.SavePretrained(output, SafeTensorsDtype.BFloat16);
        Console.WriteLine($"Saved to {output}.");
        if (evalCount > 0)
        {
            var heldOut = ArithmeticWordProblems.Generate(evalCount, EmbeddedRecipes.EvaluationSeed);
            using var reloaded = CausalLM.FromPretrained(output);
            Console.WriteLine($"Held-out exact match ({evalCount} problems): {ExactMatchEvaluator.Accuracy(reloaded, heldOut):P1}");
        }
        return 0;
    }
}
