using Microsoft.ML.Neo.Distillation;

namespace Microsoft.ML.Neo;

/// <summary>
/// Options of <see cref="NeoCatalog.NeoTeacherResponses"/>: which teacher, which columns, how it is primed and how long
/// it may answer.
/// </summary>
public sealed class NeoTeacherResponseOptions
{
    /// <summary>Hugging Face folder of the teacher, with its tokenizer files. Required.</summary>
    public string TeacherModelPath { get; set; } = "";

    /// <summary>Text column holding the (student's, plain) prompt. Default "Prompt".</summary>
    public string PromptColumnName { get; set; } = "Prompt";

    /// <summary>Text column with each row's reference answer, for answer priming. Null (default): none.</summary>
    public string? AnswerColumnName { get; set; }

    /// <summary>Text column the transform adds: the teacher's response. Default "TeacherResponse".</summary>
    public string OutputColumnName { get; set; } = "TeacherResponse";

    /// <summary>How the teacher is prompted; see <see cref="NeoDistillOptions.Priming"/>. Default None.</summary>
    public PrimingStrategy Priming { get; set; } = PrimingStrategy.None;

    /// <summary>The teacher's prompt for Custom priming, containing <c>{question}</c> and optionally <c>{answer}</c>.</summary>
    public string? PrimingTemplate { get; set; }

    /// <summary>Most tokens of each response, 1 to 100000. Default 128.</summary>
    public int MaxNewTokens { get; set; } = 128;

    /// <summary>
    /// Folder of the teacher generation cache (the same one <see cref="NeoDistillOptions.TeacherCacheDirectory"/> uses).
    /// Null (default): no cache.
    /// </summary>
    public string? CacheDirectory { get; set; }

    /// <summary>"cpu" (default) or "cuda".</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>
    /// Number format of the teacher's weights and matrix products; see <see cref="NeoDistillOptions.Precision"/>. Default
    /// Auto. Generations are cached per precision (greedy decoding in bf16 may pick other tokens than in float32).
    /// </summary>
    public ComputePrecision Precision { get; set; } = ComputePrecision.Auto;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        Text(TeacherModelPath, nameof(TeacherModelPath));
        Text(PromptColumnName, nameof(PromptColumnName));
        Text(OutputColumnName, nameof(OutputColumnName));
        if (!Enum.IsDefined(Priming))
            throw new ArgumentOutOfRangeException(nameof(Priming), Priming, $"NeoTeacherResponseOptions.Priming {Priming} is not a PrimingStrategy.");
        if (Priming == PrimingStrategy.Custom) PrimingPrompts.ValidateTemplate(PrimingTemplate, nameof(PrimingTemplate));
        if (PrimingPrompts.NeedsAnswer(Priming, PrimingTemplate) && string.IsNullOrWhiteSpace(AnswerColumnName))
            throw new ArgumentException($"{Priming} priming shows the teacher each row's reference answer; set NeoTeacherResponseOptions.AnswerColumnName.",
                nameof(AnswerColumnName));
        if (MaxNewTokens is < 1 or > 100_000)
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, $"NeoTeacherResponseOptions.MaxNewTokens must be between 1 and 100000; it is {MaxNewTokens}.");
        if (!Enum.IsDefined(Precision))
            throw new ArgumentOutOfRangeException(nameof(Precision), Precision, $"NeoTeacherResponseOptions.Precision must be Auto, Float32 or BFloat16; it is {Precision}.");
        if (Device is not ("cpu" or "cuda"))
            throw new ArgumentOutOfRangeException(nameof(Device), Device, $"NeoTeacherResponseOptions.Device must be \"cpu\" or \"cuda\"; it is {Device}.");
    }

    internal NeoTeacherResponseOptions Clone() => (NeoTeacherResponseOptions)MemberwiseClone();

    private static void Text(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"NeoTeacherResponseOptions.{name} is empty.", name);
    }
}
