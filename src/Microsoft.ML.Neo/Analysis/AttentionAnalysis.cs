using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Analysis;

/// <summary>
/// Reads a model's self-attention: for each text, every layer's and head's attention map (query × key probabilities, as
/// the model's own scaled dot-product attention weighs them), and per head the summary statistics of
/// <see cref="HeadStatistics"/>. Several reports compare models (a base student against its distilled versions) with
/// <see cref="AttentionReport.Compare"/>. The response-priming paper reads its students this way (docs/response-priming.md).
/// </summary>
public static class AttentionAnalysis
{
    /// <summary>Most tokens of one analysed text; longer texts are refused (each map is tokens² numbers per head).</summary>
    public const int MaxTokens = 2048;

    /// <summary>
    /// Runs <paramref name="model"/> (adapters included, as it generates) over each text and keeps its attention maps.
    /// Each text is encoded as the model encodes a prompt (BOS first when its tokenizer adds one).
    /// </summary>
    /// <param name="name">The model's name in tables and plots.</param>
    public static AttentionReport Analyze(CausalLM model, IReadOnlyList<string> texts, string name = "model")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (texts.Count == 0) throw new ArgumentException("Give at least one text to analyse.", nameof(texts));
        var tokenizer = model.TokenizerFiles
            ?? throw new InvalidOperationException("The model has no tokenizer files; attention analysis reads texts, so it needs the folder's tokenizer.");
        var prompts = new List<TextAttention>();
        foreach (string text in texts)
        {
            if (string.IsNullOrEmpty(text)) throw new ArgumentException("A text to analyse is empty.", nameof(texts));
            var ids = tokenizer.Encode(text);
            if (ids.Length > Math.Min(MaxTokens, model.Config.MaxPositionEmbeddings))
                throw new ArgumentException($"A text has {ids.Length} tokens, more than the {Math.Min(MaxTokens, model.Config.MaxPositionEmbeddings)} " +
                    $"this analysis reads with this model; shorten it.", nameof(texts));
            prompts.Add(new TextAttention(text, tokenizer.TokenTexts(ids), Maps(model, ids)));
        }
        return new AttentionReport(name, model.Config.NumHiddenLayers, model.Config.NumAttentionHeads, prompts);
    }

    /// <summary>[layer][head] → [query, key] maps of one sequence, each row a probability distribution over the keys it may see.</summary>
    private static float[][][,] Maps(CausalLM model, int[] ids)
    {
        var backbone = model.Model.Backbone;
        int layers = model.Config.NumHiddenLayers;
        var maps = new float[layers][][,];
        void Record(AttentionTrace trace) => maps[trace.Layer] = Probabilities(trace);
        for (int i = 0; i < layers; i++) backbone.Layer(i).Attention.Trace = Record;
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var input = tensor(ids.Select(id => (long)id).ToArray(), new long[] { 1, ids.Length }).to(model.Model.Device); // [1, T]
            backbone.Forward(input, cache: null);
        }
        finally
        {
            for (int i = 0; i < layers; i++) backbone.Layer(i).Attention.Trace = null;
        }
        return maps;
    }

    /// <summary>SDPA's weights, recomputed in float32 from the queries and keys it read: softmax(q·kᵀ/√D) over the allowed keys.</summary>
    internal static float[][,] Probabilities(AttentionTrace trace)
    {
        using var scope = NewDisposeScope();
        var q = trace.Queries[0].to(ScalarType.Float32);                                // [H, T, D]
        var k = trace.Keys[0].to(ScalarType.Float32);                                   // [H, S, D]
        long heads = q.shape[0], length = q.shape[1], keys = k.shape[1], dim = q.shape[2];
        var scores = matmul(q, k.transpose(1, 2)) / Math.Sqrt(dim);                     // [H, T, S]
        var allowed = trace.Allowed.dim() == 4 ? trace.Allowed[0] : trace.Allowed.unsqueeze(0); // [1, T, S]
        var probabilities = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity).softmax(-1).cpu().contiguous();
        var flat = probabilities.data<float>().ToArray();
        var result = new float[heads][,];
        for (int h = 0; h < heads; h++)
        {
            result[h] = new float[length, keys];
            Buffer.BlockCopy(flat, (int)(h * length * keys * sizeof(float)), result[h], 0, (int)(length * keys * sizeof(float)));
        }
        return result;
    }
}
