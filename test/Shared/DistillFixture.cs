namespace Microsoft.ML.Neo.Tests.MLNet;

/// <summary>A teacher (hidden 64) and a student (hidden 32) with the embedded tokenizer, plus quick options.</summary>
internal sealed class DistillFixture : IDisposable
{
    private readonly TempDirectory folder = new();

    /// <param name="context">Context length of both models (primed teacher prompts need more than the default 128).</param>
    /// <param name="modelType">The family of both models (<see cref="TinyCheckpoints.AsFamily"/>); Llama by default.</param>
    public DistillFixture(int studentSeed = 31, int teacherSeed = 32, int context = 128, string modelType = "llama")
    {
        TeacherPath = TinyCheckpoints.Create(folder.Sub("teacher"),
            TinyCheckpoints.AsFamily(TinyCheckpoints.Config(hidden: 64, layers: 2, context: context), modelType), teacherSeed);
        StudentPath = TinyCheckpoints.Create(folder.Sub("student"),
            TinyCheckpoints.AsFamily(TinyCheckpoints.Config(hidden: 32, layers: 2, tied: true, context: context), modelType), studentSeed);
    }

    public string TeacherPath { get; }

    public string StudentPath { get; }

    public string Sub(string name) => folder.Sub(name);

    /// <summary>Quick options on the float32 reference path (the bf16 path has tests of its own).</summary>
    public NeoDistillOptions Options(int maxNewTokens = 8, ComputePrecision precision = ComputePrecision.Float32) => new()
    {
        Precision = precision,
        Teacher = new TeacherModel(TeacherPath), StudentModelPath = StudentPath,
        PromptColumnName = "Prompt", ResponseColumnName = "Response", OutputColumnName = "Completion",
        LoraRank = 4, LoraAlpha = 8, Temperature = 2f, KdWeight = 0.5f,
        LearningRate = 1e-2f, Epochs = 1, BatchSize = 4, MaxNewTokens = maxNewTokens, Seed = 1,
    };

    public void Dispose() => folder.Dispose();
}
