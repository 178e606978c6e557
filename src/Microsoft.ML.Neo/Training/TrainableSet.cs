using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo.Training;

/// <summary>Which of the student's parameters training changes.</summary>
internal enum TrainableKind
{
    /// <summary>LoRA adapters on a frozen base (LLM-NEO).</summary>
    LoraAdapters,

    /// <summary>Every weight of the student (full-parameter fine-tuning or KD, the baselines of LLM-NEO's comparison).</summary>
    AllWeights,
}

/// <summary>The trainable part of a student: its kind and, for adapters, their settings.</summary>
internal sealed record TrainableSet(TrainableKind Kind, LoraSettings? Lora)
{
    public static TrainableSet Adapters(LoraSettings settings) => new(TrainableKind.LoraAdapters, settings);

    public static readonly TrainableSet AllWeights = new(TrainableKind.AllWeights, null);

    /// <summary>Whether the student's base weights change, so they must be kept (and trained) in float32.</summary>
    public bool TrainsBaseWeights => Kind == TrainableKind.AllWeights;

    /// <summary>Prepares a freshly loaded student: freezes what stays fixed and attaches what is trained.</summary>
    /// <param name="weightsFollow">Saved weights of the trainable part are loaded next, so adapters are not initialised
    /// from the base (PiSSA's SVD would be wasted work).</param>
    /// <returns>A one-line description for the log.</returns>
    public string ApplyTo(DecoderForCausalLM student, bool weightsFollow = false)
    {
        switch (Kind)
        {
            case TrainableKind.LoraAdapters:
                return $"{Describe(Lora!)}: {LoraInjector.Apply(student, Lora!, initialize: !weightsFollow)} adapters, rank {Lora!.Rank}";
            case TrainableKind.AllWeights:
                foreach (var parameter in student.parameters()) parameter.requires_grad = true;
                return "full fine-tuning: every weight is trained";
            default:
                throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown trainable kind.");
        }
    }

    // "LoRA", or the variant: "DoRA", "LoRA + rsLoRA", "LoRA (PiSSA start)", "DoRA + rsLoRA".
    private static string Describe(LoraSettings lora) =>
        (lora.UseDora ? "DoRA" : "LoRA") + (lora.UseRsLora ? " + rsLoRA" : "") + (lora.Initialization == LoraInitialization.Pissa ? " (PiSSA start)" : "");
}
