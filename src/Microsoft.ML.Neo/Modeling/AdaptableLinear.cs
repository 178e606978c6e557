using Microsoft.ML.Neo.Lora;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// A linear projection y = x Wᵀ + b whose parameters keep Hugging Face's names (<c>weight</c>, <c>bias</c>),
/// and which can carry a LoRA adapter (registered as <c>lora</c>; plain LoRA adds to its output, DoRA rescales it).
/// </summary>
internal sealed class AdaptableLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight; // [out, in]
    private readonly Parameter? bias;  // [out]

    public AdaptableLinear(string name, int inFeatures, int outFeatures, bool hasBias, ScalarType dtype = ScalarType.Float32) : base(name)
    {
        // Kaiming-uniform-like init, as nn.Linear does; checkpoints overwrite it.
        double bound = 1.0 / Math.Sqrt(inFeatures);
        weight = nn.Parameter(empty(outFeatures, inFeatures, dtype: dtype).uniform_(-bound, bound));
        register_parameter("weight", weight);
        if (hasBias)
        {
            bias = nn.Parameter(empty(outFeatures, dtype: dtype).uniform_(-bound, bound));
            register_parameter("bias", bias);
        }
    }

    public int InFeatures => (int)weight.shape[1];

    public int OutFeatures => (int)weight.shape[0];

    public Parameter Weight => weight;

    /// <summary>The attached adapter, or null.</summary>
    public LoraAdapter? Adapter { get; private set; }

    /// <summary>False while the layer computes its frozen base alone (<see cref="DecoderForCausalLM.WithoutAdapters"/>).</summary>
    public bool AdapterEnabled { get; set; } = true;

    public void Attach(LoraAdapter adapter)
    {
        if (Adapter is not null) throw new InvalidOperationException($"Linear layer '{GetName()}' already has a LoRA adapter.");
        Adapter = adapter;
        register_module("lora", adapter);
        // A new module starts in training mode; follow the layer's mode so an evaluating model stays deterministic.
        adapter.train(training);
    }

    /// <summary>Adds the adapter's low-rank update into <c>weight</c> and removes the adapter.</summary>
    public void MergeAdapter()
    {
        if (Adapter is null) return;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            weight.copy_(Adapter.MergedWeight(weight)); // [out, in] float32, rounded once to the base dtype
        }
        Adapter.Dispose();
        Adapter = null;
        _internal_submodules.Remove("lora");
    }

    public override Tensor forward(Tensor x)
    {
        if (Adapter is null || !AdapterEnabled) return nn.functional.linear(x, weight, bias);
        return Adapter.Adapt(x, weight, bias);
    }
}
