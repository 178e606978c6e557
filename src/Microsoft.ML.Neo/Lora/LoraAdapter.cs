using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Lora;

/// <summary>
/// The low-rank update of one linear layer: delta(x) = s · B(A(dropout(x))), s = alpha / rank (alpha / √rank with
/// rsLoRA, Kalajdzievski 2023). By default A is initialised like nn.Linear and B to zero, so an adapted model equals its
/// base until B is trained. With PiSSA (<see cref="LoraInitialization.Pissa"/>) A and B start as the base weight's
/// principal components and that starting product is kept, frozen, as <c>lora_A0</c> / <c>lora_B0</c>: the update is
/// s · (B·A − B0·A0), so the model still starts equal to its untouched base, which stays the base the zip, the PEFT
/// export and self-distillation see. Adapters are float32 whatever the base's dtype: their input is cast to float32, so
/// their gradients and the optimizer's moments keep full precision when the frozen base runs in bf16.
/// </summary>
internal class LoraAdapter : nn.Module<Tensor, Tensor>
{
    private readonly Parameter lora_A;  // [rank, in]
    private readonly Parameter lora_B;  // [out, rank]
    private readonly Parameter? lora_A0; // [rank, in] PiSSA: A's frozen starting point
    private readonly Parameter? lora_B0; // [out, rank] PiSSA: B's frozen starting point
    private readonly double dropout;

    internal LoraAdapter(int inFeatures, int outFeatures, LoraSettings settings) : this(nameof(LoraAdapter), inFeatures, outFeatures, settings)
    {
    }

    protected LoraAdapter(string name, int inFeatures, int outFeatures, LoraSettings settings) : base(name)
    {
        Settings = settings;
        Rank = settings.Rank;
        Scale = settings.Scale;
        dropout = settings.Dropout;
        // Kaiming-uniform with a = sqrt(5), as PEFT initialises A.
        double bound = 1.0 / Math.Sqrt(inFeatures);
        lora_A = nn.Parameter(empty(Rank, inFeatures, dtype: ScalarType.Float32).uniform_(-bound, bound));
        lora_B = nn.Parameter(zeros(outFeatures, Rank, dtype: ScalarType.Float32));
        register_parameter("lora_A", lora_A);
        register_parameter("lora_B", lora_B);
        if (settings.Initialization == LoraInitialization.Pissa)
        {
            lora_A0 = nn.Parameter(zeros(Rank, inFeatures, dtype: ScalarType.Float32), requires_grad: false);
            lora_B0 = nn.Parameter(zeros(outFeatures, Rank, dtype: ScalarType.Float32), requires_grad: false);
            register_parameter("lora_A0", lora_A0);
            register_parameter("lora_B0", lora_B0);
        }
    }

    /// <summary>The variant and sizes this adapter was made with.</summary>
    public LoraSettings Settings { get; }

    /// <summary>Rank r of the update.</summary>
    public int Rank { get; }

    /// <summary>The factor the update is multiplied by: alpha / r, or alpha / √r with rsLoRA.</summary>
    public double Scale { get; }

    internal Parameter A => lora_A;

    internal Parameter B => lora_B;

    /// <summary>PiSSA's frozen starting factors, or null.</summary>
    internal (Parameter A0, Parameter B0)? Start => lora_A0 is null ? null : (lora_A0, lora_B0!);

    /// <summary>
    /// Sets the adapter's starting point from the base weight it adapts (PiSSA's singular vectors; DoRA's magnitudes).
    /// Not called when saved weights are about to be loaded into it.
    /// </summary>
    internal virtual void Initialize(Tensor weight)
    {
        if (lora_A0 is null) return;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        // W = U·diag(S)·Vh; the top r parts, split evenly: s·B0·A0 = U_r·diag(S_r)·Vh_r.
        var (u, s, vh) = linalg.svd(weight.to(ScalarType.Float32), fullMatrices: false); // [out, k], [k], [k, in]
        if (s.shape[0] < Rank)
            throw new ArgumentException($"PiSSA starts each adapter from the top-{Rank} singular vectors of its weight, and a {weight.shape[0]}×{weight.shape[1]} " +
                $"layer has only {s.shape[0]}; set NeoDistillOptions.LoraRank to {s.shape[0]} or less, or leave LoraInitialization at Default.");
        var root = s.narrow(0, 0, Rank).DividedBy(Scale).sqrt();                                  // [r]
        var a = vh.narrow(0, 0, Rank).mul(root.unsqueeze(1));                               // [r, in]
        var b = u.narrow(1, 0, Rank).mul(root.unsqueeze(0));                                // [out, r]
        lora_A.copy_(a);
        lora_B.copy_(b);
        lora_A0.copy_(a);
        lora_B0!.copy_(b);
    }

    /// <summary>The update s · B · A(dropout(x)) (less s · B0 · A0 · x with PiSSA), float32 [..., out].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var wide = x.to(lora_A.dtype); // the same tensor when x is float32
        var input = dropout > 0 && training ? nn.functional.dropout(wide, dropout, training: true) : wide;
        var update = nn.functional.linear(nn.functional.linear(input, lora_A), lora_B);             // [..., out]
        if (lora_A0 is not null) update = update - nn.functional.linear(nn.functional.linear(wide, lora_A0), lora_B0!); // [..., out]
        return update.Times(Scale).MoveToOuterDisposeScope(); // [..., out] float32
    }

    /// <summary>The adapted layer's output for input x, in the base's dtype: the frozen projection plus the update.</summary>
    public virtual Tensor Adapt(Tensor x, Tensor weight, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        var frozen = nn.functional.linear(x, weight, bias);
        // The adapter answers in float32; the sum is rounded once, back to the base's dtype.
        return frozen.Plus(forward(x)).to(frozen.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The dense update s · (B · A − B0 · A0), shaped like the base weight [out, in], float32.</summary>
    internal Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        var product = matmul(lora_B, lora_A); // [out, in]
        if (lora_A0 is not null) product = product - matmul(lora_B0!, lora_A0);
        return product.Times(Scale).MoveToOuterDisposeScope();
    }

    /// <summary>The base weight plus the dense update, W + s · (B · A − B0 · A0), [out, in] float32.</summary>
    protected Tensor AdaptedWeight(Tensor weight)
    {
        using var scope = NewDisposeScope();
        return weight.to(ScalarType.Float32).Plus(DeltaWeight()).MoveToOuterDisposeScope();
    }

    /// <summary>The base weight with the adapter folded in, [out, in] float32: what merging writes.</summary>
    public virtual Tensor MergedWeight(Tensor weight) => AdaptedWeight(weight);

    /// <summary>A fresh adapter of the settings' kind (LoRA, or DoRA), not yet initialised from its layer.</summary>
    public static LoraAdapter Create(int inFeatures, int outFeatures, LoraSettings settings) =>
        settings.UseDora ? new DoraAdapter(inFeatures, outFeatures, settings) : new LoraAdapter(inFeatures, outFeatures, settings);
}
