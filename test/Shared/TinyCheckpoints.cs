using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests;

/// <summary>Tiny Llama checkpoints (hidden 32, 2 layers) written to temporary Hugging Face folders.</summary>
internal static class TinyCheckpoints
{
    public static readonly int TokenizerSize = EmbeddedTask.CreateTokenizer().VocabularySize;

    public static ModelConfig Config(int hidden = 32, int layers = 2, int heads = 4, int kvHeads = 2, bool tied = false,
        int? vocab = null, int context = 128) => new()
    {
        VocabSize = vocab ?? TokenizerSize, HiddenSize = hidden, IntermediateSize = hidden * 2, NumHiddenLayers = layers,
        NumAttentionHeads = heads, NumKeyValueHeads = kvHeads, MaxPositionEmbeddings = context, RmsNormEps = 1e-5,
        RopeTheta = 10000, TieWordEmbeddings = tied, BosTokenId = 1, EosTokenId = 2,
    };

    /// <summary>
    /// The same tiny shape as a member of another family, with what makes the family different switched on (a sliding
    /// window shorter than the test sequences, NoPE layers, partial rotation with LongRoPE), read back through
    /// config.json as a checkpoint's would be.
    /// </summary>
    public static ModelConfig AsFamily(ModelConfig c, string modelType)
    {
        var config = modelType switch
        {
            "gemma3_text" => c with
            {
                ModelType = modelType, HiddenActivation = "gelu_pytorch_tanh", QueryPreAttentionScalar = 16, SlidingWindow = 8,
                LayerTypes = Enumerable.Range(0, c.NumHiddenLayers).Select(i => i % 2 == 0 ? "sliding_attention" : "full_attention").ToArray(),
                LocalRopeTheta = 10_000, RopeTheta = 1_000_000,
            },
            "phi3" => c with
            {
                ModelType = modelType, PartialRotaryFactor = 0.5, SlidingWindow = 12, MaxPositionEmbeddings = c.MaxPositionEmbeddings,
                RopeScaling = new RopeScaling
                {
                    Type = "longrope", Factor = 2, OriginalMaxPositionEmbeddings = c.MaxPositionEmbeddings / 2,
                    ShortFactor = Enumerable.Repeat(1.0, c.ResolvedHeadDim / 4).ToArray(),
                    LongFactor = Enumerable.Range(1, c.ResolvedHeadDim / 4).Select(i => 1.0 + i).ToArray(),
                    AttentionFactor = 1.1,
                },
            },
            "smollm3" => c with { ModelType = modelType, NoRopeLayers = Enumerable.Range(0, c.NumHiddenLayers).Select(i => i % 2).ToArray() },
            _ => c with { ModelType = modelType },
        };
        return ModelConfig.FromJson(config.ToJson());
    }

    /// <summary>Writes a seeded random model (and the embedded tokenizer unless told not to) into <paramref name="directory"/>.</summary>
    public static string Create(string directory, ModelConfig config, int seed, bool withTokenizer = true,
        SafeTensorsDtype dtype = SafeTensorsDtype.Float32)
    {
        manual_seed(seed);
        using var model = new DecoderForCausalLM(config);
        // Larger-than-default weights make the random model's distributions peaked enough to test generation.
        using (no_grad())
        {
            foreach (var p in model.parameters()) if (p.dim() == 2) p.mul_(4);
        }
        HuggingFaceCheckpoint.Save(model, directory, dtype);
        if (withTokenizer) EmbeddedTask.CreateTokenizer().SaveTo(directory);
        return directory;
    }
}

/// <summary>A temporary folder deleted at dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "neo-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>A row of the training data used across the ML.NET tests.</summary>
public sealed class PromptResponse
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";
}

/// <summary>The prediction class for prediction engines.</summary>
public sealed class PromptCompletion
{
    public string Prompt { get; set; } = "";
    public string Completion { get; set; } = "";
}

internal static class TrainingRows
{
    public static List<PromptResponse> Make(int count, int seed = 5) =>
        ArithmeticWordProblems.Generate(count, seed).Select(p => new PromptResponse { Prompt = p.Prompt, Response = p.Solution }).ToList();

    /// <summary>
    /// Fits NeoDistill on <paramref name="rows"/> generated rows (MLContext seed 1) and returns every step's progress
    /// report: the per-step losses two runs are compared by.
    /// </summary>
    public static List<TrainingProgress> FitSteps(NeoDistillOptions options, int rows = 8)
    {
        var ml = new MLContext(seed: 1);
        var recorder = new ProgressRecorder();
        options.Progress = recorder;
        using var transformer = ml.Transforms.NeoDistill(options).Fit(ml.Data.LoadFromEnumerable(Make(rows)));
        return recorder.Reports;
    }
}
