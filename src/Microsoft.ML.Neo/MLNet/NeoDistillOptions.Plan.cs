using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.OnPolicy;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Training;

namespace Microsoft.ML.Neo;

// NeoDistillOptions, part 3 of 3: the run they describe (the options are in NeoDistillOptions.cs, their validation in
// NeoDistillOptions.Validation.cs).
public sealed partial class NeoDistillOptions
{
    /// <summary>
    /// How many optimizer steps Fit takes on <paramref name="trainingRows"/> rows with these options: batches per
    /// epoch times <see cref="Epochs"/>, capped by <see cref="MaxSteps"/>. Rows too long for the student's context are
    /// left out of training, which can make the run a little shorter. For schedules around a run (validation spacing,
    /// sweeps' stopping points).
    /// </summary>
    public int StepsFor(long trainingRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trainingRows);
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "at least 1");
        return Training.StepCount.Total(Training.StepCount.PerEpoch(trainingRows, BatchSize), Epochs, MaxSteps);
    }

    internal LoraSettings ToLoraSettings() => new()
    {
        Rank = LoraRank, Alpha = LoraAlpha, Dropout = LoraDropout, TargetModules = LoraTargetModules.ToArray(),
        UseDora = UseDora, UseRsLora = UseRsLora, Initialization = LoraInitialization,
    };

    // Text-level sequence KD: the teacher's responses are learned as text, and no logit of it is read.
    private bool WritesTextOnly => Mode == DistillationMode.Sequence && KdWeight == 0;

    /// <summary>
    /// What the run decides about its teacher besides its kind; the one place each is resolved. The K: the option, else
    /// the kind's own default, else (a teacher whose default is every id, bridged to another tokenizer) the top 64.
    /// </summary>
    internal TeacherSettings TeacherSettings => new()
    {
        CacheDirectory = ResolvedTeacherCacheDirectory,
        ScoreTopK = TeacherScoreTopK > 0 ? TeacherScoreTopK
            : Teacher is { DefaultTopK: > 0 } ? Teacher.DefaultTopK
            : CrossTokenizer != CrossTokenizerLoss.None ? CrossTokenizerTopK : 0,
        CacheEncoding = TeacherCacheEncoding, CrossTokenizer = CrossTokenizer, WritesTextOnly = WritesTextOnly, Quantization = BaseQuantization,
    };

    /// <summary>The run these options describe, for <see cref="DistillationRun"/>.</summary>
    internal DistillationPlan ToPlan() => new()
    {
        StudentModelPath = StudentModelPath,
        Teacher = Teacher is null ? null : new TeacherSource(Teacher.Clone(), TeacherSettings),
        Trainable = Finetuning == Finetuning.Full ? TrainableSet.AllWeights : TrainableSet.Adapters(ToLoraSettings()),
        Loss = new LossSettings(KdWeight, Temperature, Divergence) { ChunkRows = LossChunkSize, JsdBeta = JsdBeta, SkewAlpha = SkewAlpha, UldWeight = UldWeight },
        OnPolicy = new OnPolicySettings(OnPolicyFraction, OnPolicyTemperature, OnPolicyMaxNewTokens),
        Precision = Precision,
        CheckpointActivations = ActivationCheckpointing,
        Quantization = BaseQuantization,
        Data = new DataPolicy(Mode, Priming, PrimingTemplate, TeacherMaxNewTokens, MaxSequenceLength)
        {
            VerifyAnswers = VerifyTeacherAnswers, MismatchedAnswerWeight = MismatchedAnswerWeight,
        },
        Optimization = new TrainerSettings
        {
            Epochs = Epochs, BatchSize = BatchSize, MicroBatchSize = MicroBatchSize, LearningRate = LearningRate,
            WarmupFraction = WarmupFraction, Schedule = Schedule, MaxGradNorm = MaxGradientNorm, Beta1 = AdamBeta1, Beta2 = AdamBeta2, Epsilon = AdamEpsilon, WeightDecay = WeightDecay, Seed = Seed,
            MaxSteps = MaxSteps, CheckpointDirectory = CheckpointDirectory, CheckpointEverySteps = CheckpointEverySteps,
            MaxSkippedNonFiniteSteps = MaxSkippedNonFiniteSteps, EarlyStoppingPatience = EarlyStoppingPatience, KeepBestWeights = KeepBestWeights,
        },
        Device = Device,
        Validation = null, // rows, which the estimator reads from ValidationData
    };

    internal GenerationOptions ToGenerationOptions() => new()
    {
        MaxNewTokens = MaxNewTokens, Temperature = GenerationTemperature, TopP = TopP, Seed = Seed,
    };

    /// <summary>
    /// A copy of these options, to change without touching the original (a sweep's trials start from one). The teacher
    /// is copied too; the data view, callbacks, chat clients and token are shared, as they are not settings.
    /// </summary>
    public NeoDistillOptions Clone()
    {
        var copy = (NeoDistillOptions)MemberwiseClone();
        copy.Teacher = Teacher?.Clone();
        copy.LoraTargetModules = LoraTargetModules.ToArray();
        return copy;
    }
}
