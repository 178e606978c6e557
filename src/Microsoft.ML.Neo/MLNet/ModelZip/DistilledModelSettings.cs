using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.MLNet.ModelZip;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo;

/// <summary>
/// What a <see cref="NeoDistillTransformer"/> is, from what it holds: for a transformer fitted in this process and one
/// loaded from a model zip alike. A zip keeps exactly these and nothing else (no teacher, data or training settings);
/// what an older zip did not record is null here, never a default.
/// </summary>
public sealed class DistilledModelSettings
{
    internal DistilledModelSettings(DistilledModelRecord record, StudentSpec spec)
    {
        PromptColumnName = record.PromptColumnName;
        ResponseColumnName = record.ResponseColumnName;
        OutputColumnName = record.OutputColumnName;
        Generation = record.Generation;
        BaseModelName = record.BaseModelName;
        Finetuning = spec.Trainable.TrainsBaseWeights ? Finetuning.Full : Finetuning.Lora;
        StudentPrecision = spec.Precision == TorchSharp.torch.ScalarType.BFloat16 ? ComputePrecision.BFloat16 : ComputePrecision.Float32;
        if (spec.Trainable.Lora is { } lora)
        {
            LoraRank = lora.Rank;
            LoraAlpha = lora.Alpha;
            LoraDropout = lora.Dropout;
            LoraTargetModules = lora.TargetModules.ToArray();
            UseDora = lora.UseDora;
            UseRsLora = lora.UseRsLora;
            LoraInitialization = lora.Initialization;
        }
    }

    /// <summary>The text column the transformer reads prompts from.</summary>
    public string PromptColumnName { get; }

    /// <summary>
    /// The text column of the reference responses it was trained on, which <see cref="NeoDistillTransformer.ResponseLoss"/>
    /// reads; null for a zip written before it was recorded.
    /// </summary>
    public string? ResponseColumnName { get; }

    /// <summary>The text column the transformer writes its completions to.</summary>
    public string OutputColumnName { get; }

    /// <summary>How completions are generated (new tokens, temperature, top-p, seed).</summary>
    public GenerationOptions Generation { get; }

    /// <summary>The name (not the path) of the folder the student base came from; null when none was recorded.</summary>
    public string? BaseModelName { get; }

    /// <summary>What training changed: LoRA adapters on a frozen base, or every weight.</summary>
    public Finetuning Finetuning { get; }

    /// <summary>The number format the student's frozen weights are held and run in: Float32 or BFloat16.</summary>
    public ComputePrecision StudentPrecision { get; }

    /// <summary>The LoRA rank; null under full fine-tuning.</summary>
    public int? LoraRank { get; }

    /// <summary>The LoRA alpha; null under full fine-tuning.</summary>
    public float? LoraAlpha { get; }

    /// <summary>The adapters' dropout in training; null under full fine-tuning.</summary>
    public float? LoraDropout { get; }

    /// <summary>The adapted layers by Hugging Face name; null under full fine-tuning.</summary>
    public IReadOnlyList<string>? LoraTargetModules { get; }

    /// <summary>DoRA adapters; null under full fine-tuning.</summary>
    public bool? UseDora { get; }

    /// <summary>rsLoRA scaling; null under full fine-tuning.</summary>
    public bool? UseRsLora { get; }

    /// <summary>How the adapters started; null under full fine-tuning.</summary>
    public LoraInitialization? LoraInitialization { get; }
}
