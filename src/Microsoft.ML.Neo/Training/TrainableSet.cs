using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo.Training;

/// <summary>Which of the student's parameters training changes.</summary>
internal enum TrainableKind
{
    /// <summary>LoRA adapters on a frozen base (LLM-NEO).</summary>
    LoraAdapters,
}

/// <summary>The trainable part of a student: its kind and, for adapters, their settings.</summary>
internal sealed record TrainableSet(TrainableKind Kind, LoraSettings? Lora)
{
    public static TrainableSet Adapters(LoraSettings settings) => new(TrainableKind.LoraAdapters, settings);

    /// <summary>Prepares a freshly loaded student: freezes what stays fixed and attaches what is trained.</summary>
    /// <returns>A one-line description for the log.</returns>
    public string ApplyTo(LlamaForCausalLM student) => Kind switch
    {
        TrainableKind.LoraAdapters => $"LoRA: {LoraInjector.Apply(student, Lora!)} adapters, rank {Lora!.Rank}",
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown trainable kind."),
    };
}
