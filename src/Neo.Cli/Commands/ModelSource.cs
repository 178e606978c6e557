using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Generation;

namespace Neo.Cli.Commands;

/// <summary>
/// A model a command completes prompts with: a NeoDistill model zip (loaded through ML.NET, as an app would) or a
/// Hugging Face folder.
/// </summary>
internal sealed class ModelSource : IDisposable
{
    private readonly NeoDistillTransformer? distilled;
    private readonly CausalLM? folder;
    private readonly int maxNewTokens;

    private ModelSource(NeoDistillTransformer? distilled, CausalLM? folder, int maxNewTokens)
    {
        (this.distilled, this.folder, this.maxNewTokens) = (distilled, folder, maxNewTokens);
    }

    /// <param name="path">A .zip saved from NeoDistill, or a Hugging Face folder.</param>
    /// <param name="maxNewTokens">For a folder; a zip generates as many tokens as it was trained to.</param>
    public static ModelSource Open(string path, int maxNewTokens)
    {
        if (Directory.Exists(path)) return new ModelSource(null, CausalLM.FromPretrained(path), maxNewTokens);
        return new ModelSource(OpenDistilled(path), null, maxNewTokens);
    }

    /// <summary>The NeoDistill transformer in a model zip.</summary>
    public static NeoDistillTransformer OpenDistilled(string path)
    {
        if (Directory.Exists(path))
            throw new InvalidDataException($"'{path}' is a folder; this needs the model zip NeoDistill saved (neo distill --out). " +
                                           "A Hugging Face folder is already in the format --hf writes.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model '{path}' not found; pass a model zip saved by NeoDistill (neo distill --out) or a Hugging Face folder.", path);
        return new MLContext().Model.LoadNeoDistill(path);
    }

    /// <summary>The model itself: the zip's student (adapters on) or the folder's model.</summary>
    public CausalLM Model => distilled?.Student ?? folder!;

    /// <summary>The model's tokenizer-level completion of one prompt (greedy).</summary>
    public string Complete(string prompt) =>
        distilled?.Complete(prompt) ?? folder!.Generate(prompt, new GenerationOptions { MaxNewTokens = maxNewTokens });

    /// <summary>Completions of many prompts, <paramref name="batchSize"/> decoded together (the same as one at a time).</summary>
    public string[] Complete(IReadOnlyList<string> prompts, int batchSize)
    {
        if (distilled is not null) return distilled.Complete(prompts, batchSize);
        var options = new GenerationOptions { MaxNewTokens = maxNewTokens };
        var results = new string[prompts.Count];
        var order = Enumerable.Range(0, prompts.Count).OrderBy(i => prompts[i].Length).ToArray();
        foreach (var block in order.Chunk(batchSize))
        {
            var generated = folder!.Generate(block.Select(i => prompts[i]).ToList(), options);
            for (int k = 0; k < block.Length; k++) results[block[k]] = generated[k];
        }
        return results;
    }

    public void Dispose()
    {
        distilled?.Dispose();
        folder?.Dispose();
    }
}
