using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Lora;

/// <summary>
/// The low-rank update of one linear layer: delta(x) = (alpha / rank) · B(A(dropout(x))).
/// A is initialised like nn.Linear and B to zero, so an adapted model equals its base until B is trained. Adapters are
/// float32 whatever the base's dtype: their input is cast to float32, so their gradients and the optimizer's moments
/// keep full precision when the frozen base runs in bf16.
/// </summary>
internal sealed class LoraAdapter : nn.Module<Tensor, Tensor>
{
    private readonly Parameter lora_A; // [rank, in]
    private readonly Parameter lora_B; // [out, rank]
    private readonly double dropout;

    internal LoraAdapter(int inFeatures, int outFeatures, int rank, double alpha, double dropout)
        : base(nameof(LoraAdapter))
    {
        Rank = rank;
        Alpha = alpha;
        Dropout = dropout;
        Scale = alpha / rank;
        this.dropout = dropout;
        // Kaiming-uniform with a = sqrt(5), as PEFT initialises A.
        double bound = 1.0 / Math.Sqrt(inFeatures);
        lora_A = nn.Parameter(empty(rank, inFeatures, dtype: ScalarType.Float32).uniform_(-bound, bound));
        lora_B = nn.Parameter(zeros(outFeatures, rank, dtype: ScalarType.Float32));
        register_parameter("lora_A", lora_A);
        register_parameter("lora_B", lora_B);
    }

    /// <summary>Rank r of the update.</summary>
    public int Rank { get; }

    /// <summary>The update's scale numerator.</summary>
    public double Alpha { get; }

    /// <summary>Dropout on the adapter's input while training.</summary>
    public double Dropout { get; }

    /// <summary>alpha / r, the factor the update is multiplied by.</summary>
    public double Scale { get; }

    internal Parameter A => lora_A;

    internal Parameter B => lora_B;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var wide = x.to(lora_A.dtype); // the same tensor when x is float32
        var input = dropout > 0 && training ? nn.functional.dropout(wide, dropout, training: true) : wide;
        var low = nn.functional.linear(input, lora_A);   // [..., rank]
        var update = nn.functional.linear(low, lora_B);  // [..., out]
        return update.Times(Scale).MoveToOuterDisposeScope(); // [..., out] float32
    }

    /// <summary>The dense update (alpha / r) · B · A, shaped like the base weight [out, in].</summary>
    internal Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        return matmul(lora_B, lora_A).Times(Scale).MoveToOuterDisposeScope();
    }
}
