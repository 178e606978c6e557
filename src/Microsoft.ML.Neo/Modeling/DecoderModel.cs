using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>The decoder stack without the output head; registered as <c>model</c> to keep Hugging Face's names.</summary>
internal sealed class DecoderBackbone : nn.Module
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly RotaryEmbedding rotary;
    private readonly RotaryEmbedding? rotary_local; // the sliding layers' own base, where the family has one
    private readonly double? embeddingScale;

    public DecoderBackbone(ModelConfig config, ScalarType dtype) : base("model")
    {
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, dtype: dtype);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new DecoderLayer(config, i, dtype)).ToArray());
        norm = DecoderLayer.Norm("norm", config, dtype);
        rotary = new RotaryEmbedding(config.RotaryDim, config.RopeTheta, config.RopeScaling);
        if (config.LocalRopeTheta is double localTheta) rotary_local = new RotaryEmbedding(config.RotaryDim, localTheta);
        if (config.ScaleEmbeddings)
        {
            // As transformers: √C as a float32 tensor, cast to the weights' dtype (55.43 becomes 55.5 in bf16).
            using var rounded = tensor((float)Math.Sqrt(config.HiddenSize)).to(dtype).to(ScalarType.Float32);
            embeddingScale = rounded.item<float>();
        }
        RegisterComponents();
    }

    public Parameter EmbeddingWeight => embed_tokens.weight!;

    internal DecoderLayer Layer(int index) => layers[index];

    /// <returns>[B, T, C] token embeddings, times √C rounded to the weights' dtype where the family scales them (Gemma).</returns>
    internal Tensor Embed(Tensor inputIds)
    {
        if (embeddingScale is not double scale) return embed_tokens.forward(inputIds);
        using var scope = NewDisposeScope();
        var embedded = embed_tokens.forward(inputIds); // [B, T, C]
        using var factor = scale.ToScalar();
        return (embedded * factor).MoveToOuterDisposeScope();
    }

    /// <summary>The rotary angles of positions start .. start+length-1 for every kind of layer.</summary>
    internal PositionAngles Angles(long start, long length)
    {
        var (cos, sin) = rotary.Angles(start, length); // [T, R] each
        if (rotary_local is null) return new PositionAngles(cos, sin, null, null);
        var (localCos, localSin) = rotary_local.Angles(start, length);
        return new PositionAngles(cos, sin, localCos, localSin);
    }

    /// <summary>As <see cref="Forward"/> (no cache), keeping only each layer's input; see <see cref="CheckpointedPass"/>.</summary>
    public CheckpointedPass ForwardCheckpointed(Tensor inputIds)
    {
        var positions = Angles(0, inputIds.shape[1]);
        var inputs = new List<Tensor>();
        var states = new List<Tensor>();
        Tensor hidden;
        using (no_grad())
        {
            hidden = Embed(inputIds); // [B, T, C]
            for (int i = 0; i < layers.Count; i++)
            {
                inputs.Add(hidden);
                states.Add(get_rng_state());
                hidden = layers[i].Forward(hidden, positions, null);
            }
        }
        var last = hidden.detach().requires_grad_(true); // [B, T, C]
        return new CheckpointedPass(this, inputIds, positions, inputs, states, get_rng_state(), last, norm.forward(last));
    }

    /// <summary>The rotary angles of a left-padded batch: row b's tokens sit at positions (index − pads of b).</summary>
    internal PositionAngles Angles(long start, long length, Tensor leftPadding)
    {
        var absolute = arange(start, start + length, dtype: ScalarType.Int64, device: leftPadding.device); // [T]
        var positions = (absolute.unsqueeze(0) - leftPadding.unsqueeze(1)).clamp_min(0);                   // [B, T]
        var (cos, sin) = rotary.Angles(positions); // [B, 1, T, R] each
        if (rotary_local is null) return new PositionAngles(cos, sin, null, null) { LeftPadding = leftPadding };
        var (localCos, localSin) = rotary_local.Angles(positions);
        return new PositionAngles(cos, sin, localCos, localSin) { LeftPadding = leftPadding };
    }

    /// <param name="inputIds">[B, T] token ids (int64).</param>
    /// <param name="leftPadding">[B] int64 pad tokens at the start of each row (a left-padded batch); null: none.</param>
    /// <returns>[B, T, C] final normalised hidden states.</returns>
    public Tensor Forward(Tensor inputIds, KvCache? cache, Tensor? leftPadding = null)
    {
        using var scope = NewDisposeScope();
        long start = cache?.Length ?? 0;
        var positions = leftPadding is null ? Angles(start, inputIds.shape[1]) : Angles(start, inputIds.shape[1], leftPadding);
        var hidden = Embed(inputIds); // [B, T, C]
        for (int i = 0; i < layers.Count; i++)
            hidden = layers[i].Forward(hidden, positions, cache?.Layers[i]);
        return norm.forward(hidden).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A decoder-only causal LM of any supported family: token embedding, decoder stack, RMSNorm, and a (possibly tied,
/// possibly soft-capped) output head; the family's differences come in through <see cref="ModelConfig"/>. The
/// hidden states and the head are separate steps, so callers that read only some positions (response tokens, the
/// last token of a generation step) can apply the head to those rows alone.
/// </summary>
internal sealed class DecoderForCausalLM : nn.Module
{
    private readonly DecoderBackbone model;
    private readonly AdaptableLinear? lm_head;
    private readonly double? softcap;

    /// <param name="dtype">The dtype every weight is created in; float32 unless a caller asks otherwise.</param>
    public DecoderForCausalLM(ModelConfig config, ScalarType dtype = ScalarType.Float32) : base(nameof(DecoderForCausalLM))
    {
        config.Validate();
        Config = config;
        model = new DecoderBackbone(config, dtype);
        if (!config.TieWordEmbeddings)
            lm_head = new AdaptableLinear("lm_head", config.HiddenSize, config.VocabSize, hasBias: false, dtype);
        softcap = config.FinalLogitSoftcapping;
        RegisterComponents();
    }

    public ModelConfig Config { get; }

    /// <summary>Where the weights live; inputs are moved here.</summary>
    public Device Device => model.EmbeddingWeight.device;

    /// <summary>The dtype of the base weights (adapters keep their own).</summary>
    public ScalarType WeightDtype => model.EmbeddingWeight.dtype;

    internal DecoderBackbone Backbone => model;

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

    /// <summary>As <see cref="Hidden(Tensor, KvCache?)"/> for a left-padded batch: each row's pads are hidden from
    /// attention and its positions start at its first real token.</summary>
    /// <param name="leftPadding">[B] int64 pad tokens at the start of each row.</param>
    public Tensor Hidden(Tensor inputIds, KvCache? cache, Tensor leftPadding) => model.Forward(inputIds, cache, leftPadding);

    /// <summary>Hidden states for training with activation checkpointing of the decoder layers (see <see cref="CheckpointedPass"/>).</summary>
    public CheckpointedPass HiddenCheckpointed(Tensor inputIds) => model.ForwardCheckpointed(inputIds);

    /// <summary>The output head (tied to the embedding or its own projection), soft-capped where the family caps logits.</summary>
    /// <param name="hidden">[..., C] hidden states, any leading shape.</param>
    /// <returns>[..., V] logits.</returns>
    public Tensor Head(Tensor hidden)
    {
        var logits = lm_head is null ? nn.functional.linear(hidden, model.EmbeddingWeight) : lm_head.forward(hidden);
        if (softcap is not double cap) return logits;
        using var scope = NewDisposeScope();
        using var capScalar = cap.ToScalar();
        return ((logits / capScalar).tanh() * capScalar).MoveToOuterDisposeScope(); // [..., V]
    }

    public KvCache NewCache() => new(Config.NumHiddenLayers);

    /// <summary>
    /// Turns every adapter off until the result is disposed: the model then computes its frozen base alone, as it was
    /// loaded (self-distillation's teacher). Not thread-safe: nothing else may run the model meanwhile.
    /// </summary>
    internal IDisposable WithoutAdapters()
    {
        var switched = named_modules().Select(m => m.module).OfType<AdaptableLinear>().Where(l => l.Adapter is not null && l.AdapterEnabled).ToList();
        foreach (var linear in switched) linear.AdapterEnabled = false;
        return new AdapterRestore(switched);
    }

    private sealed class AdapterRestore(List<AdaptableLinear> switched) : IDisposable
    {
        public void Dispose()
        {
            foreach (var linear in switched) linear.AdapterEnabled = true;
            switched.Clear();
        }
    }

    /// <summary>Every projection that can take an adapter, with its Hugging Face module name (e.g. <c>q_proj</c>).</summary>
    internal IEnumerable<(string Path, AdaptableLinear Linear)> Projections() =>
        named_modules().Where(m => m.module is AdaptableLinear && m.name != "lm_head")
            .Select(m => (m.name, (AdaptableLinear)m.module));
}
