using System.Text.Json.Serialization;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.OnPolicy;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Training;

namespace Microsoft.ML.Neo;

/// <summary>
/// Options of <see cref="NeoCatalog.NeoDistill(TransformsCatalog, NeoDistillOptions)"/>: which models, which columns,
/// the LoRA adapters, the distillation loss, the optimiser and the completions the fitted transformer writes.
/// </summary>
public sealed partial class NeoDistillOptions
{
    /// <summary>
    /// The teacher, one object of the kind it is (as LightGBM's <c>Booster</c>): <see cref="TeacherModel"/> (a Hugging Face
    /// folder run in this process), <see cref="TeacherEndpoint"/> (an OpenAI-compatible server, optionally with a chat
    /// client that writes its responses), <see cref="TeacherChatClient"/> (a chat client that writes responses only),
    /// <see cref="TeacherLogits"/> (a dataset of its logits), <see cref="SelfTeacher"/> (the student's own frozen base) or
    /// <see cref="TeacherMixture"/> (several, mixed or routed per row). Each kind checks what it allows of the other
    /// options and says its default <see cref="TeacherScoreTopK"/> and whether it needs a cache. Required unless
    /// <see cref="KdWeight"/> is 0 in Logits mode (LoRA fine-tuning on the references, no teacher). Not serialised with
    /// the options: model zips keep no teacher, and sweep logs record it through its own record.
    /// </summary>
    [JsonIgnore]
    public NeoTeacher? Teacher { get; set; }

    /// <summary>
    /// Logit KD from a teacher with another tokenizer (a local or served teacher, cached or not):
    /// <see cref="CrossTokenizerLoss.Hybrid"/> or <see cref="CrossTokenizerLoss.Uld"/>. Each example is tokenized again
    /// by the teacher's tokenizer and the two responses are aligned by text; a pair whose tokenizers spell the response
    /// differently is refused, saying where. <see cref="CrossTokenizerLoss.None"/> (default): for logit KD the
    /// vocabularies must be the same, and a teacher with another one is refused with a message that names this option.
    /// Text-level sequence KD (<see cref="Mode"/> = Sequence with KdWeight 0) needs none of this: the teacher's responses
    /// are decoded and tokenized again by the student's tokenizer, whatever the teacher's.
    /// </summary>
    public CrossTokenizerLoss CrossTokenizer { get; set; } = CrossTokenizerLoss.None;

    /// <summary>
    /// With <see cref="CrossTokenizer"/>: the weight of the universal logit distance on the positions it scores,
    /// relative to <see cref="Divergence"/> on the others; 0 to 100. 0 with Hybrid trains only where both sides emit the
    /// same token. Default 1.
    /// </summary>
    public float UldWeight { get; set; } = 1f;

    /// <summary>Hugging Face folder of the student base, with its tokenizer.model. Required.</summary>
    public string StudentModelPath { get; set; } = "";

    /// <summary>Text column holding the prompt. Default "Prompt".</summary>
    public string PromptColumnName { get; set; } = "Prompt";

    /// <summary>Text column holding the reference response the student learns on. Default "Response".</summary>
    public string ResponseColumnName { get; set; } = "Response";

    /// <summary>Text column the transformer adds: the student's completion of the prompt. Default "Completion".</summary>
    public string OutputColumnName { get; set; } = "Completion";

    /// <summary>
    /// Text column holding each row's reference answer, for priming that shows it to the teacher
    /// (<see cref="PrimingStrategy.GroundTruthWithAnswer"/>, or a custom template with <c>{answer}</c>). Null (default): none.
    /// </summary>
    public string? AnswerColumnName { get; set; }

    /// <summary>
    /// How the teacher is prompted (response-priming KD): None (default, the plain prompt), Teacher, GroundTruth,
    /// GroundTruthWithAnswer, Confidence (the paper's texts, see <see cref="PrimingPrompts"/>) or Custom
    /// (<see cref="PrimingTemplate"/>). The student always sees the plain prompt.
    /// </summary>
    public PrimingStrategy Priming { get; set; } = PrimingStrategy.None;

    /// <summary>
    /// The teacher's prompt for <see cref="PrimingStrategy.Custom"/>: must contain <c>{question}</c> (the row's prompt)
    /// and may contain <c>{answer}</c> (the <see cref="AnswerColumnName"/> value). Ignored by other strategies.
    /// </summary>
    public string? PrimingTemplate { get; set; }

    /// <summary>
    /// What the teacher produces: Logits (default; it scores the reference response) or Sequence (it writes its own
    /// response, which the student learns with CE, plus logit KD when <see cref="KdWeight"/> &gt; 0).
    /// </summary>
    public DistillationMode Mode { get; set; } = DistillationMode.Logits;

    /// <summary>
    /// Answer-verified sequence KD (Sequence mode): the final answer of each teacher response (read like the evaluator
    /// reads one: "#### 42", "The answer is 42", a boxed or last number) is compared with the reference's, from
    /// <see cref="AnswerColumnName"/> when set, else from the reference response. Responses that disagree are dropped, or
    /// kept with <see cref="MismatchedAnswerWeight"/>; rows whose reference gives no answer keep their response. The
    /// counts are logged. Default false.
    /// </summary>
    public bool VerifyTeacherAnswers { get; set; }

    /// <summary>
    /// With <see cref="VerifyTeacherAnswers"/>: the loss weight, 0 to 1, of a teacher response whose answer disagrees with
    /// the reference (both the cross-entropy and the KD term of its tokens). 0 (default): such responses are dropped.
    /// </summary>
    public float MismatchedAnswerWeight { get; set; }

    /// <summary>Most tokens of each teacher generation in Sequence mode, 1 to 100000. Default 128.</summary>
    public int TeacherMaxNewTokens { get; set; } = 128;

    /// <summary>
    /// Folder of a file-backed cache of what the teacher computes, shared by runs and sweeps: its generations (Sequence
    /// mode) and, when KdWeight &gt; 0, the logits KD reads at every response token (the top
    /// <see cref="TeacherScoreTopK"/>, or all of them). Entries for the same teacher files, teacher tokens and settings
    /// are read back instead of recomputed, so a repeated run does not run the teacher at all. The cache changes where
    /// the teacher's answers are kept, never what is learned: a run with and without it trains on the same targets
    /// (with the default <see cref="TeacherCacheEncoding"/>). Null (default): for a <see cref="TeacherModel"/> or
    /// <see cref="SelfTeacher"/>, no cache (the teacher runs online); for a kind that always keeps its answers
    /// (<see cref="TeacherEndpoint"/>, <see cref="TeacherChatClient"/>, <see cref="TeacherLogits"/>), the folder beside the
    /// checkpoints, <see cref="CheckpointDirectory"/> + <c>.teacher-cache</c> (so <c>neo distill --out student.zip</c>
    /// keeps it in <c>student.zip.checkpoint.teacher-cache</c>). Unused when no teacher is asked (KdWeight 0 in Logits
    /// mode); <c>neo distill</c> refuses the flag then.
    /// </summary>
    public string? TeacherCacheDirectory { get; set; }

    /// <summary>
    /// How many of the teacher's logits per response position KD reads, 1 to 65536, the same online and cached: the
    /// teacher's top K, over whose support <see cref="Divergence"/> is taken (the teacher renormalised over those K ids,
    /// the student keeping its full-vocabulary probabilities there; docs/concepts.md says how each divergence treats the
    /// missing tail). With K at least the vocabulary it is the whole distribution. With a <see cref="TeacherEndpoint"/>
    /// it is the <c>prompt_logprobs</c> count each request asks for: vLLM allows 20 unless started with a higher
    /// <c>--max-logprobs</c>. 0 (default): the teacher kind's own default: the whole distribution for a
    /// <see cref="TeacherModel"/> or <see cref="SelfTeacher"/> (the top 64 with a <see cref="CrossTokenizer"/> loss),
    /// 20 for a served teacher, the dataset's own K for <see cref="TeacherLogits"/>, 64 per member for a
    /// <see cref="TeacherMixture"/>. Refused with a teacher that gives no logits (<see cref="TeacherChatClient"/>); unused
    /// with KdWeight 0 (<c>neo distill</c> refuses the flag then).
    /// </summary>
    public int TeacherScoreTopK { get; set; }

    /// <summary>
    /// How a new score cache in <see cref="TeacherCacheDirectory"/> stores the teacher's logits.
    /// <see cref="TeacherCacheEncoding.Exact"/> (default): float32 logits bit for bit, so a cached run trains exactly as an
    /// online one. <see cref="TeacherCacheEncoding.Compact"/>: packed ids and 10-bit logits, about a third of the bytes
    /// (121 bytes per token at K = 64 with a 512-token vocabulary), at the cost of a KD loss within 5e-4 relative of the
    /// exact one: it changes the objective that little, and says so. A cache that already exists keeps the encoding it
    /// was made with. Only with a cache.
    /// </summary>
    public TeacherCacheEncoding TeacherCacheEncoding { get; set; } = TeacherCacheEncoding.Exact;

    /// <summary>The K used when <see cref="TeacherScoreTopK"/> is 0, for a served teacher: vLLM's default <c>--max-logprobs</c>.</summary>
    public const int ServedTeacherTopK = 20;

    /// <summary>The K used when <see cref="TeacherScoreTopK"/> is 0 with a <see cref="CrossTokenizer"/> loss and a teacher whose default is every id.</summary>
    public const int CrossTokenizerTopK = 64;

    /// <summary>LoRA rank r, 1 to 1024. Higher rank: more capacity and memory. Default 8.</summary>
    public int LoraRank { get; set; } = 8;

    /// <summary>LoRA alpha; updates are scaled by alpha / rank (alpha / √rank with <see cref="UseRsLora"/>). Positive. Default 16.</summary>
    public float LoraAlpha { get; set; } = 16;

    /// <summary>
    /// DoRA (Liu et al. 2024, PEFT's <c>use_dora</c>): each adapted weight is a trained magnitude per output row times the
    /// normalised direction of the base weight plus the LoRA update; each step builds every adapted weight densely
    /// (cost in docs/performance.md). Not with <see cref="LoraInitialization"/> = Pissa. Default false.
    /// </summary>
    public bool UseDora { get; set; }

    /// <summary>
    /// rsLoRA (Kalajdzievski 2023, PEFT's <c>use_rslora</c>): updates are scaled by alpha / √rank instead of alpha / rank,
    /// so high ranks keep learning. Default false.
    /// </summary>
    public bool UseRsLora { get; set; }

    /// <summary>
    /// How the adapters start (PEFT's <c>init_lora_weights</c>): Default (random A, zero B) or Pissa (the base weight's
    /// top-<see cref="LoraRank"/> singular vectors and values; one SVD per adapted layer before training, and a rank at
    /// most the layer's smaller side). Both start the student equal to its base. Default: Default.
    /// </summary>
    public LoraInitialization LoraInitialization { get; set; } = LoraInitialization.Default;

    /// <summary>Dropout on the adapters' input while training, in [0, 1). Default 0.</summary>
    public float LoraDropout { get; set; }

    /// <summary>Linear layers that get adapters, by Hugging Face name. Default: q, k, v, o, gate, up and down projections.</summary>
    public string[] LoraTargetModules { get; set; } = LoraSettings.AllLinearLayers.ToArray();

    /// <summary>
    /// KD temperature T, in (0, 100]. Both distributions are softened by T and the KD term is scaled by T².
    /// Default 2.
    /// </summary>
    public float Temperature { get; set; } = 2f;

    /// <summary>
    /// Weight w of the KD term, in [0, 1]: loss = (1 − w)·CE + w·T²·KL. LLM-NEO calls it kd_ratio. Note that the
    /// response-priming paper's alpha weighs the CE term instead (their alpha = 1 − w). 0 trains LoRA on the
    /// references alone (no teacher is run). Default 0.5.
    /// </summary>
    public float KdWeight { get; set; } = 0.5f;

    /// <summary>
    /// Divergence D of the KD term: ForwardKL (default, as LLM-NEO), ReverseKL, JensenShannon (with <see cref="JsdBeta"/>),
    /// TotalVariation, SkewedForwardKL or SkewedReverseKL (with <see cref="SkewAlpha"/>). Each works with an online, a
    /// cached or a served teacher; docs/concepts.md gives the formulas and how each treats the tail a top-K teacher
    /// leaves out.
    /// </summary>
    public Divergence Divergence { get; set; } = Divergence.ForwardKL;

    /// <summary>
    /// β of <see cref="Divergence.JensenShannon"/>, in [0, 1]: the teacher's weight in the mixture m = β·p + (1 − β)·q.
    /// 0 is forward KL and 1 reverse KL (as in TRL); 0.5 (default) is the symmetric JSD. Ignored by other divergences.
    /// </summary>
    public float JsdBeta { get; set; } = 0.5f;

    /// <summary>
    /// α of <see cref="Divergence.SkewedForwardKL"/> and <see cref="Divergence.SkewedReverseKL"/>, in (0, 1): how much of the
    /// first distribution is mixed into the second. Smaller is closer to the plain KL. Default 0.1 (DistiLLM's). Ignored by
    /// other divergences.
    /// </summary>
    public float SkewAlpha { get; set; } = 0.1f;

    /// <summary>
    /// What training changes: Lora (default; adapters on a frozen base, LLM-NEO) or Full (every weight of the student,
    /// kept in float32: full-parameter KD, or SFT with KdWeight 0). Full ignores the LoRA options and needs about four
    /// times the student's float32 size for its gradients and AdamW moments. Its best learning rate has to be found: the
    /// usual guidance for large models is about a tenth of LoRA's, but on the embedded 0.35 M student it was LoRA's own.
    /// </summary>
    public Finetuning Finetuning { get; set; } = Finetuning.Lora;

    /// <summary>
    /// On-policy distillation (GKD's λ), in [0, 1]: the share of training steps whose responses the student samples
    /// itself from the batch's prompts (at <see cref="OnPolicyTemperature"/>); the teacher scores those tokens and the loss
    /// on them is T²·D alone (no cross-entropy on the student's own tokens). Needs KdWeight &gt; 0 and a teacher that gives
    /// scores (local, cached or served: with a cache, the samples' scores are kept there too). The other steps train on
    /// the data as usual. Each step costs the student's sampling on top. 0 (default) is off; 1 is fully on-policy.
    /// </summary>
    public float OnPolicyFraction { get; set; }

    /// <summary>The student's sampling temperature on on-policy steps, in (0, 10]. Default 1 (its own distribution).</summary>
    public float OnPolicyTemperature { get; set; } = 1f;

    /// <summary>Most tokens of each on-policy sample, 1 to 100000 (the context also bounds it). Default 128.</summary>
    public int OnPolicyMaxNewTokens { get; set; } = 128;

    /// <summary>
    /// Response positions whose logits are computed at once: 0 (default) for automatic, or 1 or more. The loss runs the
    /// student's and the teacher's output heads, the loss and its backward one chunk of this many response positions
    /// at a time, so at most one [chunk, vocabulary] block of logits per model is alive (at Llama 3's 128,256 ids,
    /// 1024 rows are 0.5 GB in float32). Automatic picks a power of two of rows whose float32 block fits 32 MiB: 64
    /// rows at 128,256 ids, 256 at 32,000, 8,192 at a 518-entry vocabulary. Smaller: less memory, more and smaller matrix
    /// products. The result does not depend on it beyond floating-point rounding.
    /// </summary>
    public int LossChunkSize { get; set; }

    /// <summary>
    /// Number format of the frozen weights (student base and teacher) and their matrix products: Auto (default; bf16
    /// where it is known to beat float32: a CPU with AMX-BF16, an AMD CPU with AVX512_BF16, or a CUDA GPU; float32
    /// elsewhere), Float32 (the exact reference path) or BFloat16 (halves the frozen weights' memory on any CPU with
    /// native bf16, faster or not). In bf16 the LoRA adapters, their gradients, the
    /// optimizer state, RMSNorm statistics, softmax and the loss stay float32. BFloat16 on a CPU without native bf16
    /// fails with the reason. The fitted transformer generates in the same precision, and its model zip records it.
    /// </summary>
    public ComputePrecision Precision { get; set; } = ComputePrecision.Auto;

    /// <summary>
    /// Activation checkpointing of the student's decoder layers: training keeps only each layer's input and runs the
    /// layers again during the backward pass. Saves most of the activation memory of long sequences for about one more
    /// forward pass of the student's body (docs/performance.md has the measured trade); the trained model is the same
    /// up to floating-point rounding. Default false.
    /// </summary>
    public bool ActivationCheckpointing { get; set; }

    /// <summary>
    /// How the frozen weights of the student's base and of a local teacher are held during the run: None (default), or
    /// Int8 / NF4 weight-only codes dequantized layer by layer in each forward pass (the decoder layers' projections;
    /// embeddings, norms, the output head and the adapters keep their format). The teacher's memory drops to about a
    /// half (Int8 from bf16) or a third (NF4); the training student's only with <see cref="ActivationCheckpointing"/>,
    /// since a backward pass otherwise keeps every layer's dequantized weight. Each pass pays the dequantization. The
    /// trained model holds the dequantized base densely, so what is saved is what was trained. Needs Finetuning = Lora.
    /// </summary>
    public WeightQuantization BaseQuantization { get; set; } = WeightQuantization.None;

    /// <summary>Peak AdamW learning rate, in (0, 1]. For large models LoRA usually wants about 10× a full fine-tune's rate; sweep it on small ones. Default 2e-4.</summary>
    public float LearningRate { get; set; } = 2e-4f;

    /// <summary>
    /// Share of the run's steps over which the learning rate rises linearly from near 0 to <see cref="LearningRate"/>,
    /// 0 to 1 (0: no warm-up). Default 0.05.
    /// </summary>
    public double WarmupFraction { get; set; } = 0.05;

    /// <summary>How the learning rate moves after the warm-up: <see cref="LearningRateSchedule.Cosine"/> (default, down to
    /// 10 % of the peak), <see cref="LearningRateSchedule.Linear"/> (towards 0) or <see cref="LearningRateSchedule.Constant"/>.</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Cosine;

    /// <summary>
    /// Gradients are scaled down so their global L2 norm is at most this, above 0; <see cref="double.PositiveInfinity"/>
    /// turns clipping off (the norm is still measured and reported to the non-finite guard). Default 1.0.
    /// </summary>
    public double MaxGradientNorm { get; set; } = 1.0;

    /// <summary>AdamW's decay rate of the gradients' running mean (β₁), in [0, 1). Default 0.9.</summary>
    public double AdamBeta1 { get; set; } = 0.9;

    /// <summary>AdamW's decay rate of the squared gradients' running mean (β₂), in [0, 1). Default 0.999.</summary>
    public double AdamBeta2 { get; set; } = 0.999;

    /// <summary>AdamW's term added to the denominator for stability (ε), above 0 and at most 1. Default 1e-8.</summary>
    public double AdamEpsilon { get; set; } = 1e-8;

    /// <summary>AdamW decoupled weight decay of the adapters, in [0, 1). Default 0.</summary>
    public float WeightDecay { get; set; }

    /// <summary>Passes over the data, 1 to 1000. Default 1.</summary>
    public int Epochs { get; set; } = 1;

    /// <summary>Examples per optimizer step, 1 to 4096. Default 8. See <see cref="MicroBatchSize"/> to fit a large one in memory.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>
    /// Gradient accumulation: examples per forward and backward pass, 0 or 1 to <see cref="BatchSize"/>. A step's
    /// <see cref="BatchSize"/> examples run in micro-batches of this many (the last may be smaller), and their gradients
    /// are summed before the one optimizer step. Each micro-batch's loss is averaged over the whole step's response
    /// tokens, so the update is the full batch's (equal up to float rounding) while peak memory follows the
    /// micro-batch. <c>BatchSize = 64, MicroBatchSize = 4</c> is Hugging Face's per-device batch 4 with 16 accumulation
    /// steps. Steps, progress and checkpoints count optimizer steps; a run may resume from its checkpoint with another
    /// micro-batch (a smaller one after running out of memory). 0 (default): the whole batch in one pass.
    /// </summary>
    public int MicroBatchSize { get; set; }

    /// <summary>Stop after this many optimizer steps even if epochs remain; 0 (default) means no limit.</summary>
    public int MaxSteps { get; set; }

    /// <summary>
    /// Longest training sequence (prompt + response) in tokens; 0 (default) uses the student's context length.
    /// Longer examples lose the end of their response, with a warning in the log.
    /// </summary>
    public int MaxSequenceLength { get; set; }

    /// <summary>
    /// Folder where Fit keeps a resumable checkpoint (adapters, optimizer moments, random state, step), rewritten
    /// every <see cref="CheckpointEverySteps"/> steps and at the end. When Fit starts and the folder holds a checkpoint
    /// of the same run (same options, data and models), training continues from it instead of starting over.
    /// Null or empty (default): no checkpoints.
    /// </summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Steps between checkpoints, 1 or more. Default 100.</summary>
    public int CheckpointEverySteps { get; set; } = 100;

    /// <summary>
    /// How many steps whose loss or gradient norm is NaN or infinite may be skipped (not applied, reported as a
    /// warning) before training stops; 0 to 1000000. Default 0: the first such step stops Fit with a
    /// <see cref="NonFiniteLossException"/> that names the step and the loss terms, and nothing non-finite is saved.
    /// </summary>
    public int MaxSkippedNonFiniteSteps { get; set; }

    /// <summary>Most tokens of each completion, 1 to 100000. Default 64.</summary>
    public int MaxNewTokens { get; set; } = 64;

    /// <summary>Sampling temperature of completions; 0 (default) is greedy decoding.</summary>
    public float GenerationTemperature { get; set; }

    /// <summary>Nucleus (top-p) threshold of sampled completions, in (0, 1]. Default 1.</summary>
    public float TopP { get; set; } = 1f;

    /// <summary>Seed of adapter initialisation, shuffling, dropout and sampling. Same seed and data: same model.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>
    /// "cpu" (default) or "cuda". CUDA needs a TorchSharp CUDA backend (build with -p:NeoTorchBackend=cuda-linux or
    /// cuda-windows) and a GPU.
    /// </summary>
    public string Device { get; set; } = "cpu";

    /// <summary>
    /// Cancels <c>Fit</c> between two steps with an <see cref="OperationCanceledException"/> (a checkpoint, if configured,
    /// keeps what was done). Not saved with the model.
    /// </summary>
    [JsonIgnore]
    public CancellationToken Cancellation { get; set; }

    /// <summary>Receives progress after each training step (loss terms, tokens/s, ETA). Not saved with the model.</summary>
    [JsonIgnore]
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>
    /// Held-out rows with the prompt and response columns, scored while training: the mean cross-entropy of their
    /// response tokens, reported as <see cref="TrainingProgress.ValidationLoss"/> (and in mlContext.Log) every
    /// <see cref="ValidationEverySteps"/> steps and after the last. Null (default): no validation.
    /// </summary>
    [JsonIgnore]
    public IDataView? ValidationData { get; set; }

    /// <summary>
    /// Steps between two validations, 0 to 1000000; the last step is always validated. 0 (default): ten validations
    /// spread over the run. Used only with <see cref="ValidationData"/>.
    /// </summary>
    public int ValidationEverySteps { get; set; }

    /// <summary>
    /// With <see cref="ValidationData"/>: at every validation also the answer accuracy of the student's greedy
    /// completions (at most <see cref="MaxNewTokens"/> tokens, decoded in batches) against the references' final
    /// numbers (GSM8K's <c>#### n</c>, or the last number), as <see cref="TrainingProgress.ValidationAccuracy"/>.
    /// Rows whose reference has no number are left out. Early stopping and the best weights still follow the loss.
    /// Default false: the loss only (cheaper: no generation).
    /// </summary>
    public bool ValidateAnswerAccuracy { get; set; }

    /// <summary>
    /// Early stopping: training stops once this many validations in a row have not lowered the validation loss below
    /// its best so far; 0 to 1000000. Needs <see cref="ValidationData"/>. 0 (default): never. With
    /// <see cref="ValidationEverySteps"/> = 0 (ten validations per run), 3 stops a run whose loss has not improved over
    /// its last 30 %.
    /// </summary>
    public int EarlyStoppingPatience { get; set; }

    /// <summary>
    /// With <see cref="ValidationData"/>: the finished model has the trainable weights of the step with the lowest
    /// validation loss (Hugging Face's <c>load_best_model_at_end</c>), not the last step's, and the log names that step;
    /// <see cref="TrainingProgress.BestValidationStep"/> reports it. A copy of the trainable weights is kept in memory
    /// (the adapters, or every weight under full fine-tuning). After a resume the best is tracked from the resumed
    /// step on. Default false: the last step's weights.
    /// </summary>
    public bool KeepBestWeights { get; set; }

    /// <summary>
    /// Asked after every step, after <see cref="Progress"/>: returning true ends training there and keeps what was
    /// learned (the transformer is returned as usual), for example when <see cref="TrainingProgress.ValidationLoss"/>
    /// stops improving. Null (default): every step runs. Not saved with the model.
    /// </summary>
    [JsonIgnore]
    public Func<TrainingProgress, bool>? StopEarly { get; set; }
}
