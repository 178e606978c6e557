namespace Microsoft.ML.Neo.Lora;

/// <summary>Where LoRA adapters go, how large they are, and which variant of LoRA they are.</summary>
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

    /// <summary>Scale numerator: updates are multiplied by Alpha / Rank (Alpha / √Rank with <see cref="UseRsLora"/>). Positive.</summary>
    public float Alpha { get; init; } = 16;

    /// <summary>Dropout on the adapter's input during training. In [0, 1).</summary>
    public float Dropout { get; init; }

    /// <summary>Module names (last path segment, e.g. "q_proj") that get adapters.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = AllLinearLayers;

    /// <summary>DoRA: a trained magnitude per output row times the normalised direction of the adapted weight.</summary>
    public bool UseDora { get; init; }

    /// <summary>rsLoRA: the update is scaled by Alpha / √Rank, so its size does not shrink as the rank grows.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>How the adapters start: zero update (the default) or the base weight's principal components (PiSSA).</summary>
    public LoraInitialization Initialization { get; init; } = LoraInitialization.Default;

    /// <summary>Whether these are not plain LoRA: DoRA, rsLoRA or a PiSSA start.</summary>
    public bool IsVariant => UseDora || UseRsLora || Initialization != LoraInitialization.Default;

    /// <summary>The factor each update is multiplied by: Alpha / Rank, or Alpha / √Rank with rsLoRA.</summary>
    public double Scale => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / (double)Rank;
}
