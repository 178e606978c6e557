using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.Generation;

/// <summary>The ids a model's generation stops at, worked out the same way wherever the model came from.</summary>
internal static class StopTokens
{
    /// <summary>
    /// The tokenizer's end of sequence, and every id listed by config.json and generation_config.json (Llama 3 and
    /// Gemma 3 instruct models end turns with a second id there).
    /// </summary>
    public static IReadOnlySet<int> Of(ModelConfig config, TokenizerFiles? tokenizer, GenerationConfig? generation)
    {
        var ids = new HashSet<int>(config.EosTokenIds);
        if (tokenizer?.EndOfSequenceId is int eos) ids.Add(eos);
        else if (config.EosTokenId is int configEos) ids.Add(configEos);
        if (generation is not null) ids.UnionWith(generation.EosTokenIds);
        return ids;
    }
}
