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
        if (!IsZip(path))
            throw new InvalidDataException($"'{path}' is not a model zip (it does not start with a zip header); pass the .zip that neo distill --out wrote.");
        ITransformer loaded;
        try
        {
            loaded = Microsoft.ML.Neo.MLNet.ModelZip.ModelZipLoader.Load(path);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or System.IO.InvalidDataException
                                      or IOException and not UnreadableFileException)
        {
            throw new InvalidDataException($"'{path}' is a zip but not an ML.NET model ({e.Message}); pass the .zip that neo distill --out wrote.", e);
        }
        var distilled = loaded as NeoDistillTransformer ?? (loaded as TransformerChain<ITransformer>)?.OfType<NeoDistillTransformer>().LastOrDefault();
        if (distilled is null)
        {
            (loaded as IDisposable)?.Dispose();
            throw new InvalidDataException($"'{path}' is an ML.NET model zip without a NeoDistill transformer in it.");
        }
        return distilled;
    }

    private static bool IsZip(string path)
    {
        Span<byte> header = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.Read(header) == 4 && header.SequenceEqual("PK\u0003\u0004"u8);
    }

    /// <summary>The model's tokenizer-level completion of one prompt (greedy).</summary>
    public string Complete(string prompt) =>
        distilled?.Complete(prompt) ?? folder!.Generate(prompt, new GenerationOptions { MaxNewTokens = maxNewTokens });

    public void Dispose()
    {
        distilled?.Dispose();
        folder?.Dispose();
    }
}
