using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Distillation.OnPolicy;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Tokenization;
using Microsoft.ML.Neo.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation;

/// <summary>
/// One distillation run: loads the student and prepares its trainable part, opens the teacher behind its seam, builds
/// the examples, and trains with the distillation objective. Independent of ML.NET; the estimator drives it.
/// </summary>
internal static class DistillationRun
{
    /// <returns>The student with its trained part (adapters not merged), how it is rebuilt when loaded (its trainable part
    /// and the dtype it was trained in), and the last step's progress.</returns>
    public static (CausalLM Student, StudentSpec Spec, TrainingProgress? Summary) Execute(DistillationPlan plan, IReadOnlyList<TrainingRow> rows, RunHooks hooks)
    {
        if (rows.Count == 0)
            throw new ArgumentException("The training data is empty: NeoDistill needs at least one prompt/response row.");
        var device = DeviceSelection.Resolve(plan.Device);
        var studentFolder = PretrainedFolder.Open(plan.StudentModelPath, "student");
        var studentTokenizer = studentFolder.RequireTokenizer("NeoDistill needs the student's tokenizer");
        var teacherFolder = plan.NeedsTeacher ? plan.Teacher!.Check(studentFolder, hooks.Warn) : null;

        var dtype = PrecisionSupport.Resolve(plan.Precision, device);
        hooks.Log(PrecisionSupport.Describe(plan.Precision, dtype, device));
        // Weights that are trained stay float32 (as adapters do): AdamW's small updates vanish in bf16's 8-bit mantissa.
        var studentDtype = plan.Trainable.TrainsBaseWeights ? ScalarType.Float32 : dtype;
        if (studentDtype != dtype) hooks.Log("Full fine-tuning: the student's weights are trained in float32; the teacher runs in " + PrecisionSupport.Name(dtype) + ".");

        manual_seed(plan.Optimization.Seed);
        var student = studentFolder.LoadModel(studentDtype);
        ITeacher? teacher = null;
        try
        {
            string trainableSummary = plan.Trainable.ApplyTo(student);
            student.to(device);
            // After the adapters: PiSSA starts from the dense weight. The student returned holds the dequantized base.
            if (plan.Quantization != WeightQuantization.None) hooks.Log(Modeling.Quantization.WeightQuantizer.Apply(student, plan.Quantization));
            if (plan.NeedsTeacher)
                teacher = plan.Teacher!.Open(new TeacherOpening(device, dtype, studentTokenizer, student.Config.ContextLength, hooks.Warn,
                    ScoresDuringTraining: plan.OnPolicy.Enabled, Folder: teacherFolder, Student: student, StudentFolder: studentFolder,
                    StudentVocabulary: student.Config.VocabSize));

            var (encoder, context) = Encoder(plan, studentTokenizer, student.Config, teacher);
            var builder = new ExampleBuilder(plan.Data, encoder);
            List<EncodedExample> examples;
            if (plan.Data.Mode == DistillationMode.Sequence)
            {
                var stops = new HashSet<int>(teacher!.StopTokenIds) { encoder.EndOfSequenceId };
                examples = builder.FromTeacherGenerations(rows, teacher, stops, student.Config.VocabSize, hooks.Log);
            }
            else
            {
                examples = builder.FromReferences(rows);
            }
            if (ResponseBoundary.Warning(rows.Count(r => ResponseBoundary.HasExtraSpaceToken(r.Response, studentTokenizer)), rows.Count) is { } spaced)
                hooks.Warn(spaced);
            if (encoder.TruncatedCount > 0)
                hooks.Warn($"{encoder.TruncatedCount} of {rows.Count} examples exceed the context of {context} tokens; " +
                     $"their responses were cut at the context length ({rows.Count - examples.Count} dropped because the prompt alone fills it).");
            if (examples.Count == 0)
                throw new ArgumentException($"Every prompt{(plan.Data.Priming == PrimingStrategy.None ? "" : " or primed teacher prompt")} is longer than the context of {context} tokens; nothing can be trained.");

            int padId = studentTokenizer.PaddingId ?? studentTokenizer.EndOfSequenceId!.Value;
            if (!plan.Loss.UsesTeacher)
            {
                teacher?.Dispose(); // generations done (or none needed); cross-entropy alone needs no teacher
                teacher = null;
            }
            long trainable = student.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
            hooks.Log($"{trainableSummary}, {trainable:N0} trainable parameters; " +
                $"{examples.Count} examples, {TokenBatch.CountResponseTokens(examples):N0} response tokens; " +
                (plan.NeedsTeacher ? $"KD weight {plan.Loss.KdWeight}, T = {plan.Loss.Temperature}, {plan.Loss.Divergence}." : "no teacher (KdWeight = 0).") +
                (plan.OnPolicy.Enabled ? $" On-policy: the student samples the responses of {plan.OnPolicy.Fraction:P0} of the steps (T = {plan.OnPolicy.Temperature})." : ""));
            teacher?.PrepareScores(examples, student.Config.VocabSize, padId, hooks.Log);

            var settings = plan.Optimization with
            {
                RunIdentity = $"teacher={plan.Teacher?.Identity ?? "none"};student={Path.GetFullPath(plan.StudentModelPath)}",
            };
            var validation = plan.Validation is { } policy ? Validation(policy, encoder) : null;
            IBatchSource batches = new ShuffledExampleBatches(examples, settings.BatchSize, settings.Seed);
            if (plan.OnPolicy.Enabled)
                batches = new OnPolicyBatches(batches, plan.OnPolicy, encoder, studentFolder.StopTokenIds, settings.Seed);
            var trainer = new CausalLMTrainer(student, batches,
                new DistillationObjective(teacher, plan.Loss, plan.CheckpointActivations), settings, padId)
            {
                OnWarning = hooks.Warn,
                OnInformation = hooks.Log,
                OnStep = p =>
                {
                    hooks.Progress?.Report(p);
                    hooks.Log(p.ToString());
                },
                ValidationLossAt = validation is null ? null
                    : (step, total) => plan.Validation!.IsDue(step, total) ? ResponseLoss.Mean(student, validation, padId) : null,
                ValidationAccuracyAt = validation is null || plan.Validation!.AccuracyMaxNewTokens == 0 ? null
                    : _ => ValidationAccuracy.Measure(student, studentTokenizer, plan.Validation.Rows, plan.Validation.AccuracyMaxNewTokens,
                        studentFolder.StopTokenIds, padId),
                StopAfter = hooks.StopAfter,
            };
            var summary = trainer.Train(hooks.Cancellation);
            student.eval();
            Modeling.Quantization.WeightQuantizer.Restore(student);
            return (studentFolder.ToCausalLM(student), new StudentSpec(plan.Trainable, studentDtype), summary);
        }
        catch
        {
            student.Dispose();
            throw;
        }
        finally
        {
            teacher?.Dispose();
        }
    }

    // The validation rows as the student reads them; rows too long for its context are left out, as in training.
    private static List<EncodedExample> Validation(ValidationPolicy policy, PromptResponseEncoder encoder)
    {
        var examples = policy.Rows.Select(r => encoder.Encode(r.Prompt, r.Response)).OfType<EncodedExample>().ToList();
        if (examples.Count == 0)
            throw new ArgumentException($"None of the {policy.Rows.Count} validation rows fits the student's context with a response token; " +
                "NeoDistillOptions.ValidationData needs rows like the training data.");
        return examples;
    }

    // The encoder and the student's context: without priming the teacher reads the student's sequences, so both must
    // fit the teacher too; primed, each side stays within its own context.
    private static (PromptResponseEncoder Encoder, int Context) Encoder(DistillationPlan plan, TokenizerFiles tokenizer,
        ModelConfig studentConfig, ITeacher? teacher)
    {
        int Limit(int modelContext) => plan.Data.MaxSequenceLength > 0 ? Math.Min(plan.Data.MaxSequenceLength, modelContext) : modelContext;
        int context = Limit(studentConfig.ContextLength);
        int? teacherContext = null;
        if (teacher is not null && plan.Data.Priming == PrimingStrategy.None)
            context = Math.Min(context, teacher.ContextLength);
        else if (teacher is not null)
            teacherContext = Limit(teacher.ContextLength);
        return (new PromptResponseEncoder(tokenizer, context, teacherContext), context);
    }
}
