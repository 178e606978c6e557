namespace Microsoft.ML.Neo.Lora;

/// <summary>Where LoRA adapters go and how large they are.</summary>
internal sealed record LoraSettings
{
    /// <summary>
    /// Every linear layer of a decoder block: attention q/k/v/o and the MLP's gate/up/down. On a family with fused
    /// projections (Phi-3) these names mean the fused ones (q/k/v: <c>qkv_proj</c>, gate/up: <c>gate_up_proj</c>).
    /// </summary>
    public static readonly IReadOnlyList<string> AllLinearLayers = Modeling.Families.ModelFamily.SeparateProjections;

    /// <summary>Every name a target list may hold: <see cref="AllLinearLayers"/> and the fused projections' own names.</summary>
    public static IReadOnlyList<string> ValidTargetNames => Modeling.Families.ModelFamilies.AllProjectionNames;

    /// <summary>Rank r of each update. 1 or more; higher rank: more capacity, more memory.</summary>
    public int Rank { get; init; } = 8;

    /// <summary>Scale numerator: updates are multiplied by Alpha / Rank. Positive.</summary>
    public float Alpha { get; init; } = 16;

    /// <summary>Dropout on the adapter's input during training. In [0, 1).</summary>
    public float Dropout { get; init; }

    /// <summary>Module names (last path segment, e.g. "q_proj") that get adapters.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = AllLinearLayers;
}
