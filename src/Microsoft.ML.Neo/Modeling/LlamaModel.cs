using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>The decoder stack without the output head; registered as <c>model</c> to keep Hugging Face's names.</summary>
internal sealed class LlamaBackbone : nn.Module
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly RotaryEmbedding rotary;

    public LlamaBackbone(LlamaConfig config, ScalarType dtype) : base("model")
    {
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, dtype: dtype);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new LlamaDecoderLayer(config, dtype)).ToArray());
        norm = new RmsNorm("norm", config.HiddenSize, config.RmsNormEps, dtype);
        rotary = new RotaryEmbedding(config.ResolvedHeadDim, config.RopeTheta, config.RopeScaling);
        RegisterComponents();
    }

    public Parameter EmbeddingWeight => embed_tokens.weight!;

    internal LlamaDecoderLayer Layer(int index) => layers[index];

    internal Tensor Embed(Tensor inputIds) => embed_tokens.forward(inputIds); // [B, T, C]

    /// <summary>As <see cref="Forward"/> (no cache), keeping only each layer's input; see <see cref="CheckpointedPass"/>.</summary>
    public CheckpointedPass ForwardCheckpointed(Tensor inputIds)
    {
        var (cos, sin) = rotary.Angles(0, inputIds.shape[1]); // [T, D] each
        var inputs = new List<Tensor>();
        var states = new List<Tensor>();
        Tensor hidden;
        using (no_grad())
        {
            hidden = embed_tokens.forward(inputIds); // [B, T, C]
            for (int i = 0; i < layers.Count; i++)
            {
                inputs.Add(hidden);
                states.Add(get_rng_state());
                hidden = layers[i].Forward(hidden, cos, sin, null);
            }
        }
        var last = hidden.detach().requires_grad_(true); // [B, T, C]
        return new CheckpointedPass(this, inputIds, cos, sin, inputs, states, get_rng_state(), last, norm.forward(last));
    }

    /// <param name="inputIds">[B, T] token ids (int64).</param>
    /// <returns>[B, T, C] final normalised hidden states.</returns>
    public Tensor Forward(Tensor inputIds, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        long start = cache?.Length ?? 0;
        var (cos, sin) = rotary.Angles(start, inputIds.shape[1]); // [T, D] each
        var hidden = embed_tokens.forward(inputIds);              // [B, T, C]
        for (int i = 0; i < layers.Count; i++)
            hidden = layers[i].Forward(hidden, cos, sin, cache?.Layers[i]);
        return norm.forward(hidden).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Llama-architecture causal LM: token embedding, decoder stack, RMSNorm, and a (possibly tied) output head. The
/// hidden states and the head are separate steps, so callers that read only some positions (response tokens, the
/// last token of a generation step) can apply the head to those rows alone.
/// </summary>
internal sealed class LlamaForCausalLM : nn.Module
{
    private readonly LlamaBackbone model;
    private readonly AdaptableLinear? lm_head;

    /// <param name="dtype">The dtype every weight is created in; float32 unless a caller asks otherwise.</param>
    public LlamaForCausalLM(LlamaConfig config, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaForCausalLM))
    {
        config.Validate();
        Config = config;
        model = new LlamaBackbone(config, dtype);
        if (!config.TieWordEmbeddings)
            lm_head = new AdaptableLinear("lm_head", config.HiddenSize, config.VocabSize, hasBias: false, dtype);
        RegisterComponents();
    }

    public LlamaConfig Config { get; }

    /// <summary>Where the weights live; inputs are moved here.</summary>
    public Device Device => model.EmbeddingWeight.device;

    /// <summary>The dtype of the base weights (adapters keep their own).</summary>
    public ScalarType WeightDtype => model.EmbeddingWeight.dtype;

    internal LlamaBackbone Backbone => model;

    /// <param name="inputIds">[B, T] token ids (int64).</param>
    /// <param name="cache">When given, positions continue after the cached ones and the cache is extended.</param>
    /// <returns>[B, T, V] next-token logits.</returns>
    public Tensor Forward(Tensor inputIds, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        return Head(Hidden(inputIds, cache)).MoveToOuterDisposeScope(); // [B, T, V]
    }

    /// <param name="inputIds">[B, T] token ids (int64).</param>
    /// <param name="cache">As in <see cref="Forward"/>.</param>
    /// <returns>[B, T, C] final normalised hidden states, before the output head.</returns>
    public Tensor Hidden(Tensor inputIds, KvCache? cache = null) => model.Forward(inputIds, cache);

    /// <summary>Hidden states for training with activation checkpointing of the decoder layers (see <see cref="CheckpointedPass"/>).</summary>
    public CheckpointedPass HiddenCheckpointed(Tensor inputIds) => model.ForwardCheckpointed(inputIds);

    /// <summary>The output head (tied to the embedding or its own projection).</summary>
    /// <param name="hidden">[..., C] hidden states, any leading shape.</param>
    /// <returns>[..., V] logits.</returns>
    public Tensor Head(Tensor hidden) => lm_head is null
        ? nn.functional.linear(hidden, model.EmbeddingWeight)
        : lm_head.forward(hidden);

    public KvCache NewCache() => new(Config.NumHiddenLayers);

    /// <summary>Every projection that can take an adapter, with its Hugging Face module name (e.g. <c>q_proj</c>).</summary>
    internal IEnumerable<(string Path, AdaptableLinear Linear)> Projections() =>
        named_modules().Where(m => m.module is AdaptableLinear && m.name != "lm_head")
            .Select(m => (m.name, (AdaptableLinear)m.module));
}
