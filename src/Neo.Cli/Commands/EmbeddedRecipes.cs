using Microsoft.ML.Neo.Modeling;

namespace Neo.Cli.Commands;

/// <summary>The recipes that produced the checkpoints in EmbeddedModels/ (see docs/quickstart.md).</summary>
internal sealed record EmbeddedRecipes(LlamaConfig Config, int Examples, int Epochs, int BatchSize, double LearningRate, int MaxSteps, int Seed, int[]? Shapes)
{
    /// <summary>Problems for pretraining are drawn from seeds far from the distillation and evaluation sets.</summary>
    public const int TrainingDataSeed = 1000;
    public const int DistillationSeed = 2000;
    public const int EvaluationSeed = 3000;

    public static EmbeddedRecipes For(string role) => role switch
    {
        "teacher" => new EmbeddedRecipes(new LlamaConfig
        {
            VocabSize = 512, HiddenSize = 128, IntermediateSize = 352, NumHiddenLayers = 4,
            NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 128, RmsNormEps = 1e-5,
            RopeTheta = 10000, TieWordEmbeddings = false, BosTokenId = 1, EosTokenId = 2,
        }, Examples: 60000, Epochs: 1, BatchSize: 32, LearningRate: 2e-3, MaxSteps: 0, Seed: 1, Shapes: null),
        "student" => new EmbeddedRecipes(new LlamaConfig
        {
            VocabSize = 512, HiddenSize = 96, IntermediateSize = 256, NumHiddenLayers = 3,
            NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 128, RmsNormEps = 1e-5,
            RopeTheta = 10000, TieWordEmbeddings = true, BosTokenId = 1, EosTokenId = 2,
        }, Examples: 40000, Epochs: 1, BatchSize: 32, LearningRate: 2e-3, MaxSteps: 0, Seed: 2, Shapes: null),
        // The response-priming experiment's teacher: the teacher's shape with room for the priming texts, which the
        // embedded tokenizer spells mostly letter by letter (about 150 tokens); trained on PrimedTeacherData.
        "teacher-primed" => For("teacher") with { Config = For("teacher").Config with { MaxPositionEmbeddings = 384 }, Seed = 3 },
        _ => throw new ArgumentException($"--role must be 'teacher', 'teacher-primed' or 'student', not '{role}'."),
    };
}
