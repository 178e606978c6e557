using Microsoft.ML.Neo.Checkpoints;
using TorchSharp;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Tokenization;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation;

/// <summary>
/// One LLM-NEO run: loads teacher and student, checks they share a vocabulary, attaches LoRA adapters to the
/// frozen student and trains them with the distillation loss. Independent of ML.NET; the estimator drives it.
/// </summary>
internal static class DistillationRun
{
    /// <param name="log">Receives human-readable progress and warnings.</param>
    /// <returns>The student with trained adapters (not merged), and the last step's progress.</returns>
    public static (CausalLM Student, TrainingProgress? Summary) Execute(
        NeoDistillOptions options, IReadOnlyList<TrainingRow> rows, Action<string> log, Action<string> warn)
    {
        if (rows.Count == 0)
            throw new ArgumentException("The training data is empty: NeoDistill needs at least one prompt/response row.");
        var device = DeviceSelection.Resolve(options.Device);
        HuggingFaceCheckpoint.EnsureIsCheckpoint(options.StudentModelPath, "student");
        HuggingFaceCheckpoint.EnsureIsCheckpoint(options.TeacherModelPath, "teacher");
        var studentTokenizer = TokenizerFiles.TryLoad(options.StudentModelPath) ?? throw new InvalidDataException(
            $"The student folder '{options.StudentModelPath}' has no tokenizer.json or tokenizer.model; NeoDistill needs the student's tokenizer.");
        bool useTeacher = options.KdWeight > 0 || options.Mode == DistillationMode.Sequence;
        VocabularyCheck.Ensure(options.TeacherModelPath, options.StudentModelPath, studentTokenizer);

        manual_seed(options.Seed);
        var student = HuggingFaceCheckpoint.Load(options.StudentModelPath);
        LlamaForCausalLM? teacher = null;
        try
        {
            int adapters = LoraInjector.Apply(student, options.ToLoraSettings());
            student.to(device);
            if (useTeacher)
            {
                teacher = HuggingFaceCheckpoint.Load(options.TeacherModelPath);
                foreach (var p in teacher.parameters()) p.requires_grad = false;
                teacher.to(device);
            }

            int Limit(int modelContext) => options.MaxSequenceLength > 0 ? Math.Min(options.MaxSequenceLength, modelContext) : modelContext;
            int context = Limit(student.Config.ContextLength);
            int? teacherContext = null;
            if (teacher is not null && options.Priming == PrimingStrategy.None)
                context = Math.Min(context, teacher.Config.ContextLength); // the teacher reads the student's sequences
            else if (teacher is not null)
                teacherContext = Limit(teacher.Config.ContextLength);   // primed: each side within its own context
            var encoder = new PromptResponseEncoder(studentTokenizer, context, teacherContext);
            var builder = new ExampleBuilder(options, encoder);
            var fingerprint = new Lazy<string>(() => TeacherFingerprint.Of(options.TeacherModelPath)); // hashes the weights: once
            List<EncodedExample> examples;
            if (options.Mode == DistillationMode.Sequence)
            {
                using var cache = string.IsNullOrWhiteSpace(options.TeacherCacheDirectory) ? null : new TeacherGenerationCache(options.TeacherCacheDirectory);
                var stops = new HashSet<int>(teacher!.Config.EosTokenIds) { encoder.EndOfSequenceId };
                if (GenerationConfig.TryLoad(options.TeacherModelPath) is { } teacherGeneration) stops.UnionWith(teacherGeneration.EosTokenIds);
                examples = builder.FromTeacherGenerations(rows, teacher, stops, student.Config.VocabSize, cache,
                    cache is null ? "" : fingerprint.Value, log);
                if (options.KdWeight == 0)
                {
                    teacher.Dispose(); // generations done; CE alone needs no teacher
                    teacher = null;
                }
            }
            else
            {
                examples = builder.FromReferences(rows);
            }
            if (encoder.TruncatedCount > 0)
                warn($"{encoder.TruncatedCount} of {rows.Count} examples exceed the context of {context} tokens; " +
                     $"their responses were cut at the context length ({rows.Count - examples.Count} dropped because the prompt alone fills it).");
            if (examples.Count == 0)
                throw new ArgumentException($"Every prompt{(options.Priming == PrimingStrategy.None ? "" : " or primed teacher prompt")} is longer than the context of {context} tokens; nothing can be trained.");

            long trainable = student.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
            log($"LoRA: {adapters} adapters, rank {options.LoraRank}, {trainable:N0} trainable parameters; " +
                $"{examples.Count} examples, {TokenBatch.CountResponseTokens(examples):N0} response tokens; " +
                (useTeacher ? $"KD weight {options.KdWeight}, T = {options.Temperature}, {options.Divergence}." : "no teacher (KdWeight = 0)."));

            var settings = options.ToTrainerSettings() with
            {
                RunIdentity = $"teacher={Path.GetFullPath(options.TeacherModelPath)};student={Path.GetFullPath(options.StudentModelPath)}",
            };
            int padId = studentTokenizer.PaddingId ?? studentTokenizer.EndOfSequenceId!.Value;
            var monitoring = options.MonitoringRows?.Select(r => encoder.Encode(r.Prompt, r.Response)).OfType<EncodedExample>().ToList();
            using var scores = teacher is not null && options.KdWeight > 0 && !string.IsNullOrWhiteSpace(options.TeacherCacheDirectory)
                ? new TeacherScoreCache(options.TeacherCacheDirectory) : null;
            if (scores is not null)
            {
                examples = TeacherScores.Precompute(teacher!, examples, scores, fingerprint.Value,
                    options.TeacherScoreTopK, student.Config.VocabSize, padId, log);
                teacher!.Dispose(); // training reads the cache; the teacher is no longer needed
                teacher = null;
            }
            var trainer = new CausalLMTrainer(student, teacher, settings, padId)
            {
                TeacherScores = scores,
                OnStep = p =>
                {
                    options.Progress?.Report(p);
                    log(p.ToString());
                },
                StopAfter = options.StopAfter is null ? null
                    : p => options.StopAfter(p, () => ResponseLoss.Mean(student, monitoring ?? throw new InvalidOperationException("No monitoring rows were given."), padId)),
            };
            var summary = trainer.Train(examples, options.Cancellation);
            student.eval();
            return (new CausalLM(student, studentTokenizer, GenerationConfig.TryLoad(options.StudentModelPath)), summary);
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
}
