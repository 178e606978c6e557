using Microsoft.ML.Neo.Lora;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>The LoRA variants a sweep can choose among (<see cref="NeoSearchSpace.AdapterKinds"/>); each sets NeoDistill's options.</summary>
public enum AdapterKind
{
    /// <summary>Plain LoRA: α/r scaling, B starts at zero.</summary>
    Lora,
    /// <summary><see cref="NeoDistillOptions.UseDora"/>: a learned magnitude per output, LoRA on the direction.</summary>
    Dora,
    /// <summary><see cref="NeoDistillOptions.UseRsLora"/>: α/√r scaling.</summary>
    RsLora,
    /// <summary><see cref="LoraInitialization.Pissa"/>: the adapters start at the weight's top singular directions.</summary>
    Pissa,
    /// <summary>DoRA with rsLoRA's α/√r scaling (<see cref="NeoDistillOptions.UseDora"/> and <see cref="NeoDistillOptions.UseRsLora"/>).</summary>
    DoraRsLora,
}

internal static class AdapterKinds
{
    /// <summary>Sets the variant's options on <paramref name="options"/> (and clears the others').</summary>
    public static void ApplyTo(this AdapterKind kind, NeoDistillOptions options)
    {
        options.UseDora = kind is AdapterKind.Dora or AdapterKind.DoraRsLora;
        options.UseRsLora = kind is AdapterKind.RsLora or AdapterKind.DoraRsLora;
        options.LoraInitialization = kind == AdapterKind.Pissa ? LoraInitialization.Pissa : LoraInitialization.Default;
    }
}
