using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Training;
using Neo.Cli.Commands;

namespace Neo.Cli.Experiments;

/// <summary>A row of LLM-NEO's comparison: how the student is trained.</summary>
/// <param name="Key">Its name on the command line.</param>
/// <param name="Name">Its name in tables and plots.</param>
/// <param name="Finetuning">LoRA adapters or every weight.</param>
/// <param name="Distil">Whether the teacher's scores are part of the loss (KdWeight &gt; 0).</param>
/// <param name="Tweak">Further settings of the row, applied last.</param>
/// <param name="Cached">The teacher runs behind a score and generation cache shared by every seed (top-K rows need one).</param>
internal sealed record NeoCondition(string Key, string Name, Finetuning Finetuning, bool Distil, Action<NeoDistillOptions>? Tweak = null, bool Cached = false)
{
    /// <summary>The paper's four rows, then optional ones: on-policy and other divergences.</summary>
    public static readonly NeoCondition[] Known =
    {
        new("sft", "SFT (full)", Finetuning.Full, Distil: false),
        new("lora", "LoRA", Finetuning.Lora, Distil: false),
        new("kd-full", "KD (full)", Finetuning.Full, Distil: true),
        new("neo", "LLM-NEO (LoRA + KD)", Finetuning.Lora, Distil: true),
        new("neo-onpolicy", "LLM-NEO, on-policy λ = 0.5", Finetuning.Lora, Distil: true, o => { o.OnPolicyFraction = 0.5f; o.OnPolicyMaxNewTokens = 64; }),
        new("neo-jsd", "LLM-NEO, JSD(0.5)", Finetuning.Lora, Distil: true, o => o.Divergence = Divergence.JensenShannon),
        new("neo-rkl", "LLM-NEO, reverse KL", Finetuning.Lora, Distil: true, o => o.Divergence = Divergence.ReverseKL),
        new("neo-tvd", "LLM-NEO, TVD", Finetuning.Lora, Distil: true, o => o.Divergence = Divergence.TotalVariation),
        new("neo-skl", "LLM-NEO, skew KL (0.1)", Finetuning.Lora, Distil: true, o => o.Divergence = Divergence.SkewedForwardKL),
        // The teacher with another tokenizer (byte-level BPE) beside the styled teacher's folder, for cross-tokenizer KD.
        new("neo-xtok-hybrid", "LLM-NEO, byte-level teacher, Hybrid", Finetuning.Lora, Distil: true, o => ByteLevelTeacher(o, CrossTokenizerLoss.Hybrid)),
        new("neo-xtok-uld", "LLM-NEO, byte-level teacher, ULD", Finetuning.Lora, Distil: true, o => ByteLevelTeacher(o, CrossTokenizerLoss.Uld)),
        // The same-tokenizer teacher through its top 64, as the cross-tokenizer rows see theirs.
        new("neo-top64", "LLM-NEO, same tokenizer, teacher's top 64", Finetuning.Lora, Distil: true, o => o.TeacherScoreTopK = 64, Cached: true),
        // Text-level sequence KD: the student fine-tunes on the teacher's greedy answers instead of the references.
        new("seqkd", "Sequence KD (LoRA), same tokenizer", Finetuning.Lora, Distil: false, SequenceKd, Cached: true),
        new("seqkd-verified", "Sequence KD (LoRA), answers verified", Finetuning.Lora, Distil: false, o => { SequenceKd(o); o.VerifyTeacherAnswers = true; }, Cached: true),
        new("seqkd-xtok", "Sequence KD (LoRA), byte-level teacher", Finetuning.Lora, Distil: false, o => { SequenceKd(o); ByteLevelTeacher(o, CrossTokenizerLoss.None); }, Cached: true),
        // LLM-NEO's robustness to the LoRA variant (PiSSA needs a rank no larger than the smallest adapted layer).
        new("neo-dora", "LLM-NEO, DoRA", Finetuning.Lora, Distil: true, o => o.UseDora = true),
        new("neo-rslora", "LLM-NEO, rsLoRA", Finetuning.Lora, Distil: true, o => o.UseRsLora = true),
        new("neo-pissa", "LLM-NEO, PiSSA start", Finetuning.Lora, Distil: true, o => o.LoraInitialization = Microsoft.ML.Neo.Lora.LoraInitialization.Pissa),
        // LLM-NEO with the frozen student base and the teacher held as integer codes (QLoRA's idea).
        new("neo-int8", "LLM-NEO, Int8 base and teacher", Finetuning.Lora, Distil: true, o => o.BaseQuantization = WeightQuantization.Int8),
        new("neo-nf4", "LLM-NEO, NF4 base and teacher", Finetuning.Lora, Distil: true, o => o.BaseQuantization = WeightQuantization.NF4),
        // Self-distillation: the student's own base, shown the reference's final answer, is the teacher.
        new("neo-self-gt", "Self-distillation, answer as context", Finetuning.Lora, Distil: true, SelfWithTheAnswer),
    };

    /// <summary>The context self-distillation's teacher reads: short, for the student's 128-token context.</summary>
    public const string SelfDistillationTemplate = "The answer is {answer}. {question}";

    private static void SequenceKd(NeoDistillOptions options)
    {
        options.Mode = DistillationMode.Sequence;
        options.TeacherMaxNewTokens = 64;
    }

    private static void SelfWithTheAnswer(NeoDistillOptions options)
    {
        options.Teacher = new SelfTeacher();
        options.Priming = PrimingStrategy.Custom;
        options.PrimingTemplate = SelfDistillationTemplate;
        options.AnswerColumnName = nameof(PromptResponseRow.Answer); // the rows are PromptResponseRow.From the problems
    }

    /// <summary>The folder of the byte-level teacher (make-embedded's styled-teacher-bytelevel), next to the usual teacher's.</summary>
    public const string ByteLevelTeacherFolder = "styled-teacher-bytelevel";

    private static void ByteLevelTeacher(NeoDistillOptions options, CrossTokenizerLoss loss)
    {
        var teacher = (TeacherModel)options.Teacher!;
        options.Teacher = new TeacherModel(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(teacher.ModelPath))!, ByteLevelTeacherFolder));
        options.CrossTokenizer = loss;
    }


    /// <summary>The paper's rows, as a --conditions value.</summary>
    public const string PaperRows = "sft,lora,kd-full,neo";

    public static string KnownKeys => string.Join(", ", Known.Select(c => c.Key));

    /// <summary>The rows a comma-separated list names, in its order.</summary>
    public static List<NeoCondition> Parse(string keys, string optionName = "--conditions") =>
        keys.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(k => Known.FirstOrDefault(c => c.Key == k) ?? throw new ArgumentException($"Unknown condition '{k}' in {optionName}; known: {KnownKeys}."))
            .ToList();

    /// <summary>Sets the row's fine-tuning, KD weight and learning rate (the full-parameter rows take their own), then its tweak.</summary>
    /// <param name="teacherCache">The cache folder of the <see cref="Cached"/> rows.</param>
    public void ApplyTo(NeoDistillOptions options, double kdWeight, double loraLearningRate, double fullLearningRate, string teacherCache)
    {
        options.Finetuning = Finetuning;
        options.KdWeight = Distil ? (float)kdWeight : 0f;
        options.LearningRate = (float)(Finetuning == Finetuning.Full ? fullLearningRate : loraLearningRate);
        if (Cached) options.TeacherCacheDirectory = teacherCache;
        Tweak?.Invoke(options);
    }
}
