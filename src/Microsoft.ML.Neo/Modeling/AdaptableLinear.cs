using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling.Quantization;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// A linear projection y = x Wᵀ + b whose parameters keep Hugging Face's names (<c>weight</c>, <c>bias</c>),
/// and which can carry a LoRA adapter (registered as <c>lora</c>; plain LoRA adds to its output, DoRA rescales it).
/// A frozen weight can be held quantized (<see cref="Quantize"/>): <c>weight</c> is then an empty placeholder, and each
/// forward pass dequantizes the codes into the weight's own dtype.
/// </summary>
internal sealed class AdaptableLinear : nn.Module<Tensor, Tensor>
{
    private Parameter weight; // [out, in]; [0] while quantized
    private QuantizedWeight? quantized;
    private ScalarType denseDtype;
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

    public int InFeatures => quantized is null ? (int)weight.shape[1] : (int)quantized.InFeatures;

    public int OutFeatures => quantized is null ? (int)weight.shape[0] : (int)quantized.OutFeatures;

    /// <summary>The dense weight; not available while quantized (see <see cref="DenseWeight"/>).</summary>
    public Parameter Weight => quantized is null ? weight
        : throw new InvalidOperationException($"Linear layer '{GetName()}' holds its weight quantized; restore it first (RestoreWeight).");

    /// <summary>How the weight is held: None (dense) or the quantization in use.</summary>
    public WeightQuantization Quantization => quantized?.Kind ?? WeightQuantization.None;

    /// <summary>Bytes of the weight as held (the codes and scales while quantized).</summary>
    public long WeightBytes => quantized?.Bytes ?? QuantizedWeight.BytesOf(weight);

    /// <summary>The [out, in] weight as the forward pass uses it: the parameter, or the codes dequantized into its dtype.</summary>
    public Tensor DenseWeight() => quantized is null ? weight : quantized.Dequantize(denseDtype);

    /// <summary>
    /// Holds the weight as integers and frees the dense one; the weight is frozen from then on (the options refuse
    /// quantization with full fine-tuning). An adapter that reads the weight to start (PiSSA, DoRA) must be attached first.
    /// </summary>
    public void Quantize(WeightQuantization kind)
    {
        if (kind == WeightQuantization.None || quantized is not null) return;
        quantized = QuantizedWeight.Quantize(weight, kind);
        denseDtype = weight.dtype;
        Replace(nn.Parameter(empty(0, dtype: denseDtype, device: weight.device), requires_grad: false));
    }

    /// <summary>Makes the weight dense again, holding the dequantized values (what every forward pass used), and drops the codes.</summary>
    public void RestoreWeight()
    {
        if (quantized is null) return;
        using (no_grad())
        {
            Replace(nn.Parameter(quantized.Dequantize(denseDtype), requires_grad: false));
        }
        quantized.Dispose();
        quantized = null;
    }

    private void Replace(Parameter dense)
    {
        _internal_params.Remove("weight");
        weight.Dispose();
        weight = dense;
        register_parameter("weight", weight);
    }

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
        RestoreWeight();
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
        var w = DenseWeight(); // [out, in]; dequantized for this pass alone when the weight is held quantized
        if (Adapter is null || !AdapterEnabled) return nn.functional.linear(x, w, bias);
        return Adapter.Adapt(x, w, bias);
    }

    // The codes are not registered with the module (they are not parameters), so they are released here.
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            quantized?.Dispose();
            quantized = null;
        }
        base.Dispose(disposing);
    }
}
