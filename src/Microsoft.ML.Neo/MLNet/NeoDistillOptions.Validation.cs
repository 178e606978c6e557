using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Training;

namespace Microsoft.ML.Neo;

// NeoDistillOptions, part 2 of 3: their validation at the public boundary (the options are in NeoDistillOptions.cs,
// the plan they make in NeoDistillOptions.Plan.cs).
public sealed partial class NeoDistillOptions
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        ValidateTeacher();
        RequireText(StudentModelPath, nameof(StudentModelPath), "a Hugging Face model folder");
        RequireText(PromptColumnName, nameof(PromptColumnName), "a column name");
        RequireText(ResponseColumnName, nameof(ResponseColumnName), "a column name");
        RequireText(OutputColumnName, nameof(OutputColumnName), "a column name");
        Require(Enum.IsDefined(Priming), nameof(Priming), Priming, "None, Teacher, GroundTruth, GroundTruthWithAnswer, Confidence or Custom");
        Require(Enum.IsDefined(Mode), nameof(Mode), Mode, "Logits or Sequence");
        Require(MismatchedAnswerWeight is >= 0 and <= 1, nameof(MismatchedAnswerWeight), MismatchedAnswerWeight, "between 0 and 1");
        if (VerifyTeacherAnswers && Mode != DistillationMode.Sequence)
            throw new ArgumentException("NeoDistillOptions.VerifyTeacherAnswers checks the answers of the responses the teacher writes, which it does only " +
                "with Mode = Sequence; in Logits mode the references are learned as they are.", nameof(VerifyTeacherAnswers));
        if (MismatchedAnswerWeight > 0 && !VerifyTeacherAnswers)
            throw new ArgumentException("NeoDistillOptions.MismatchedAnswerWeight weighs responses whose answers were checked; set VerifyTeacherAnswers = true " +
                "(with Mode = Sequence), or leave it at 0.", nameof(MismatchedAnswerWeight));
        Require(Enum.IsDefined(TeacherCacheEncoding), nameof(TeacherCacheEncoding), TeacherCacheEncoding, "Compact or Exact");
        Require(Enum.IsDefined(CrossTokenizer), nameof(CrossTokenizer), CrossTokenizer, "None, Hybrid or Uld");
        Require(UldWeight >= 0 && UldWeight <= 100, nameof(UldWeight), UldWeight, "between 0 and 100");
        if (Priming == PrimingStrategy.Custom) PrimingPrompts.ValidateTemplate(PrimingTemplate, nameof(PrimingTemplate));
        if (PrimingPrompts.NeedsAnswer(Priming, PrimingTemplate) && string.IsNullOrWhiteSpace(AnswerColumnName))
            throw new ArgumentException($"{Priming} priming shows the teacher each row's reference answer; set NeoDistillOptions.AnswerColumnName " +
                "to the text column that holds it.", nameof(AnswerColumnName));
        if (Priming != PrimingStrategy.None && Mode == DistillationMode.Logits && KdWeight == 0)
            throw new ArgumentException($"{Priming} priming changes only what the teacher sees, but with KdWeight 0 in Logits mode the teacher " +
                "is never run; set KdWeight above 0 or Mode = Sequence.", nameof(Priming));
        Require(TeacherMaxNewTokens is >= 1 and <= 100_000, nameof(TeacherMaxNewTokens), TeacherMaxNewTokens, "between 1 and 100000");
        Require(TeacherScoreTopK is >= 0 and <= 65_536, nameof(TeacherScoreTopK), TeacherScoreTopK, "0 (automatic) or between 1 and 65536");
        Require(LoraRank is >= 1 and <= 1024, nameof(LoraRank), LoraRank, "between 1 and 1024");
        Require(LoraAlpha > 0 && float.IsFinite(LoraAlpha), nameof(LoraAlpha), LoraAlpha, "positive");
        Require(LoraDropout is >= 0 and < 1, nameof(LoraDropout), LoraDropout, "in [0, 1)");
        Require(Enum.IsDefined(LoraInitialization), nameof(LoraInitialization), LoraInitialization, "Default or Pissa");
        if (UseDora && LoraInitialization == LoraInitialization.Pissa)
            throw new ArgumentException("NeoDistillOptions.UseDora with LoraInitialization = Pissa is not supported: DoRA's magnitudes are measured " +
                "on the base weight that PiSSA's start is taken from. Choose one of them.", nameof(UseDora));
        if (Finetuning == Finetuning.Full && ToLoraSettings().IsVariant)
            throw new ArgumentException("NeoDistillOptions.UseDora, UseRsLora and LoraInitialization shape LoRA adapters, and Finetuning = Full trains " +
                "every weight without adapters. Set Finetuning = Lora, or leave them at their defaults.", nameof(Finetuning));
        Require(Enum.IsDefined(BaseQuantization), nameof(BaseQuantization), BaseQuantization, "None, Int8 or NF4");
        if (Finetuning == Finetuning.Full && BaseQuantization != WeightQuantization.None)
            throw new ArgumentException("NeoDistillOptions.BaseQuantization holds frozen weights as integers, and Finetuning = Full trains every weight. " +
                "Set Finetuning = Lora, or BaseQuantization = None.", nameof(BaseQuantization));
        Require(LoraTargetModules is { Length: > 0 } && LoraTargetModules.All(LoraSettings.ValidTargetNames.Contains),
            nameof(LoraTargetModules), string.Join(",", LoraTargetModules ?? Array.Empty<string>()),
            $"a non-empty subset of {string.Join(", ", LoraSettings.ValidTargetNames)}");
        Require(Temperature > 0 && Temperature <= 100, nameof(Temperature), Temperature, "in (0, 100]");
        Require(KdWeight is >= 0 and <= 1, nameof(KdWeight), KdWeight, "in [0, 1]");
        Require(Enum.IsDefined(Divergence), nameof(Divergence), Divergence,
            "ForwardKL, ReverseKL, JensenShannon, TotalVariation, SkewedForwardKL or SkewedReverseKL");
        Require(JsdBeta is >= 0 and <= 1, nameof(JsdBeta), JsdBeta, "in [0, 1] (0 is forward KL, 1 reverse KL)");
        Require(SkewAlpha is > 0 and < 1, nameof(SkewAlpha), SkewAlpha, "in (0, 1)");
        Require(Enum.IsDefined(Finetuning), nameof(Finetuning), Finetuning, "Lora or Full");
        Require(OnPolicyFraction is >= 0 and <= 1, nameof(OnPolicyFraction), OnPolicyFraction, "in [0, 1]");
        Require(OnPolicyTemperature is > 0 and <= 10, nameof(OnPolicyTemperature), OnPolicyTemperature, "in (0, 10]");
        Require(OnPolicyMaxNewTokens is >= 1 and <= 100_000, nameof(OnPolicyMaxNewTokens), OnPolicyMaxNewTokens, "between 1 and 100000");
        if (OnPolicyFraction > 0 && KdWeight == 0)
            throw new ArgumentException("NeoDistillOptions.OnPolicyFraction > 0 has the teacher score the student's own samples, but KdWeight 0 runs " +
                "no teacher; set KdWeight above 0 (the on-policy steps then train on the divergence alone), or OnPolicyFraction = 0.", nameof(OnPolicyFraction));
        Require(Enum.IsDefined(Precision), nameof(Precision), Precision, "Auto, Float32 or BFloat16");
        Require(LossChunkSize >= 0, nameof(LossChunkSize), LossChunkSize, "0 (automatic) or positive");
        Require(LearningRate > 0 && LearningRate <= 1, nameof(LearningRate), LearningRate, "in (0, 1]");
        Require(WeightDecay is >= 0 and < 1, nameof(WeightDecay), WeightDecay, "in [0, 1)");
        Require(Epochs is >= 1 and <= 1000, nameof(Epochs), Epochs, "between 1 and 1000");
        Require(EarlyStoppingPatience is >= 0 and <= 1_000_000, nameof(EarlyStoppingPatience), EarlyStoppingPatience, "between 0 (never) and 1000000");
        if (ValidateAnswerAccuracy && ValidationData is null)
            throw new ArgumentException("NeoDistillOptions.ValidateAnswerAccuracy measures the validation rows; set ValidationData.", nameof(ValidateAnswerAccuracy));
        if ((EarlyStoppingPatience > 0 || KeepBestWeights) && ValidationData is null)
            throw new ArgumentException($"NeoDistillOptions.{(EarlyStoppingPatience > 0 ? nameof(EarlyStoppingPatience) : nameof(KeepBestWeights))} " +
                "judges the run by its validation loss; set ValidationData (held-out rows with the training data's columns).",
                EarlyStoppingPatience > 0 ? nameof(EarlyStoppingPatience) : nameof(KeepBestWeights));
        Require(ValidationEverySteps is >= 0 and <= 1_000_000, nameof(ValidationEverySteps), ValidationEverySteps, "between 0 (ten per run) and 1000000");
        Require(BatchSize is >= 1 and <= 4096, nameof(BatchSize), BatchSize, "between 1 and 4096");
        Require(WarmupFraction is >= 0 and <= 1, nameof(WarmupFraction), WarmupFraction, "between 0 and 1");
        Require(Enum.IsDefined(Schedule), nameof(Schedule), Schedule, "Cosine, Linear or Constant");
        Require(MaxGradientNorm > 0 && !double.IsNaN(MaxGradientNorm), nameof(MaxGradientNorm), MaxGradientNorm, "above 0 (double.PositiveInfinity: no clipping)");
        Require(AdamBeta1 is >= 0 and < 1, nameof(AdamBeta1), AdamBeta1, "in [0, 1)");
        Require(AdamBeta2 is >= 0 and < 1, nameof(AdamBeta2), AdamBeta2, "in [0, 1)");
        Require(AdamEpsilon is > 0 and <= 1, nameof(AdamEpsilon), AdamEpsilon, "above 0 and at most 1");
        Require(MicroBatchSize >= 0 && MicroBatchSize <= BatchSize, nameof(MicroBatchSize), MicroBatchSize,
            $"0 (the whole batch in one pass) or between 1 and BatchSize ({BatchSize})");
        Require(MaxSteps >= 0, nameof(MaxSteps), MaxSteps, "0 (no limit) or positive");
        Require(MaxSequenceLength >= 0, nameof(MaxSequenceLength), MaxSequenceLength, "0 (the model's context) or positive");
        Require(CheckpointEverySteps >= 1, nameof(CheckpointEverySteps), CheckpointEverySteps, "at least 1");
        Require(MaxSkippedNonFiniteSteps is >= 0 and <= 1_000_000, nameof(MaxSkippedNonFiniteSteps), MaxSkippedNonFiniteSteps, "between 0 and 1000000");
        Require(MaxNewTokens is >= 1 and <= 100_000, nameof(MaxNewTokens), MaxNewTokens, "between 1 and 100000");
        Require(GenerationTemperature >= 0 && float.IsFinite(GenerationTemperature), nameof(GenerationTemperature),
            GenerationTemperature, "0 (greedy) or positive");
        Require(TopP > 0 && TopP <= 1, nameof(TopP), TopP, "in (0, 1]");
        Require(Device is "cpu" or "cuda", nameof(Device), Device, "\"cpu\" or \"cuda\"");
    }

    // The teacher is one object: its kind validates itself and what it allows of the other options. What is left here
    // is what applies to every kind: whether a teacher is needed at all, and whether the storage flags have any effect.
    private void ValidateTeacher()
    {
        bool runsTeacher = RunsTeacher;
        if (Teacher is null)
        {
            if (!runsTeacher) return; // LoRA (or full) fine-tuning on the references alone
            throw new ArgumentException("NeoDistillOptions.Teacher is not set; set it to the teacher, e.g. new TeacherModel(\"path/to/teacher\") " +
                "(or a TeacherEndpoint, TeacherLogits, SelfTeacher or TeacherMixture), or KdWeight = 0 in Logits mode to fine-tune on the references alone.",
                nameof(Teacher));
        }
        Teacher.Validate(this);
        if (runsTeacher && Teacher.NeedsCache && ResolvedTeacherCacheDirectory is null)
            throw new ArgumentException($"{Teacher.Describe()} keeps its answers in a cache: set NeoDistillOptions.TeacherCacheDirectory (or a CheckpointDirectory, " +
                "beside which the cache is then kept), so a run that stops resumes without asking again.", nameof(TeacherCacheDirectory));
        // With KdWeight 0 in Logits mode no teacher runs and its settings rest (a sweep's SFT baseline keeps the base
        // options' teacher and cache); neo distill refuses such flags in flag terms.
        if (TeacherScoreTopK > 0 && !Teacher.GivesLogits)
            throw new ArgumentException($"NeoDistillOptions.TeacherScoreTopK sets how many of the teacher's logits KD reads, but {Teacher.Describe()} " +
                "gives none; leave it at 0.", nameof(TeacherScoreTopK));
        if (TeacherCacheEncoding != TeacherCacheEncoding.Exact && ResolvedTeacherCacheDirectory is null)
            throw new ArgumentException($"NeoDistillOptions.TeacherCacheEncoding = {TeacherCacheEncoding} says how a cache stores logits, and this run has no cache; " +
                "set TeacherCacheDirectory, or leave the encoding at Exact.", nameof(TeacherCacheEncoding));
        if (UldWeight != 1f && CrossTokenizer == CrossTokenizerLoss.None)
            throw new ArgumentException("NeoDistillOptions.UldWeight weighs the universal logit distance of a cross-tokenizer loss, and CrossTokenizer is None; " +
                "set CrossTokenizer = Hybrid or Uld, or leave UldWeight at 1.", nameof(UldWeight));
    }

    /// <summary>The run asks a teacher for something: logits (KdWeight &gt; 0) or responses (Sequence mode).</summary>
    internal bool RunsTeacher => KdWeight > 0 || Mode == DistillationMode.Sequence;

    /// <summary>
    /// The cache folder the run uses: <see cref="TeacherCacheDirectory"/>, or for a teacher kind that always keeps its
    /// answers, the folder beside the checkpoints. The one place this default is decided.
    /// </summary>
    internal string? ResolvedTeacherCacheDirectory =>
        !string.IsNullOrWhiteSpace(TeacherCacheDirectory) ? TeacherCacheDirectory
        : Teacher is { NeedsCache: true } && !string.IsNullOrWhiteSpace(CheckpointDirectory)
            ? Path.TrimEndingDirectorySeparator(CheckpointDirectory) + ".teacher-cache"
            : null;

    private static void RequireText(string? value, string name, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ArgumentException($"NeoDistillOptions.{name} is empty; set it to {what}.", name);
    }

    private static void Require(bool condition, string name, object? value, string range)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(name, value, $"NeoDistillOptions.{name} must be {range}; it is {value}.");
    }
}
