using Microsoft.ML.Neo.Distillation;

namespace Microsoft.ML.Neo;

/// <summary>
/// Options of <see cref="NeoCatalog.NeoTeacherResponses"/>: which teacher, which columns, how it is primed and how long
/// it may answer.
/// </summary>
public sealed class NeoTeacherResponseOptions
{
    /// <summary>
    /// The teacher that writes the responses: a <see cref="TeacherModel"/> (a folder with its tokenizer files), a
    /// <see cref="TeacherEndpoint"/> or a <see cref="TeacherChatClient"/> (these two keep their answers in
    /// <see cref="CacheDirectory"/>, which they need). Teachers that write no text here (<see cref="TeacherLogits"/>,
    /// <see cref="SelfTeacher"/>, <see cref="TeacherMixture"/>) are refused. Required.
    /// </summary>
    public NeoTeacher? Teacher { get; set; }

    /// <summary>
    /// For a served teacher (<see cref="TeacherEndpoint"/> without a <see cref="TeacherEndpoint.TokenizerPath"/>, or a
    /// <see cref="TeacherChatClient"/>): a folder with tokenizer files that carry prompts and responses as token ids
    /// between the server and the cache. Null (default): the endpoint's own; a <see cref="TeacherModel"/> uses its folder's.
    /// </summary>
    public string? TokenizerPath { get; set; }

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
        switch (Teacher)
        {
            case null:
                throw new ArgumentException("NeoTeacherResponseOptions.Teacher is not set; set it to a TeacherModel, TeacherEndpoint or TeacherChatClient.", nameof(Teacher));
            case TeacherModel model when string.IsNullOrWhiteSpace(model.ModelPath):
                throw new ArgumentException("NeoTeacherResponseOptions.Teacher's ModelPath is empty; set it to the teacher's Hugging Face folder.", nameof(Teacher));
            case TeacherModel:
                break;
            case TeacherEndpoint endpoint:
                endpoint.Validate();
                if (endpoint.TokenizerPath is null && string.IsNullOrWhiteSpace(TokenizerPath))
                    throw new ArgumentException("A served teacher's responses are kept as token ids: set TeacherEndpoint.TokenizerPath or " +
                        "NeoTeacherResponseOptions.TokenizerPath to a folder with its tokenizer files.", nameof(TokenizerPath));
                break;
            case TeacherChatClient when string.IsNullOrWhiteSpace(TokenizerPath):
                throw new ArgumentException("A chat client's responses are kept as token ids: set NeoTeacherResponseOptions.TokenizerPath to a folder " +
                    "with tokenizer files (the student's will do).", nameof(TokenizerPath));
            case TeacherChatClient:
                break;
            default:
                throw new ArgumentException($"NeoTeacherResponseOptions.Teacher is {Teacher.Describe()}, which writes no responses here; " +
                    "use a TeacherModel, TeacherEndpoint or TeacherChatClient.", nameof(Teacher));
        }
        if (Teacher.NeedsCache && string.IsNullOrWhiteSpace(CacheDirectory))
            throw new ArgumentException($"{Teacher.Describe()} keeps its answers in a cache: set NeoTeacherResponseOptions.CacheDirectory.", nameof(CacheDirectory));
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

    internal NeoTeacherResponseOptions Clone()
    {
        var copy = (NeoTeacherResponseOptions)MemberwiseClone();
        copy.Teacher = Teacher?.Clone();
        return copy;
    }

    private static void Text(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"NeoTeacherResponseOptions.{name} is empty.", name);
    }
}
