using System.Diagnostics;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Training;

/// <summary>
/// Trains the parameters of a student that require gradients (LoRA adapters, or every weight for full training)
/// with the distillation loss, against an optional frozen teacher. AdamW, warmup then cosine decay, gradient clipping.
/// Every step runs in its own dispose scope, so memory stays flat however long the run.
/// </summary>
internal sealed class CausalLMTrainer
{
    private readonly LlamaForCausalLM student;
    private readonly LlamaForCausalLM? teacher;
    private readonly TrainerSettings settings;
    private readonly int padId;

    public CausalLMTrainer(LlamaForCausalLM student, LlamaForCausalLM? teacher, TrainerSettings settings, int padId)
    {
        this.student = student;
        this.teacher = teacher;
        this.settings = settings;
        this.padId = padId;
    }

    /// <summary>Called after each step.</summary>
    public Action<TrainingProgress>? OnStep { get; init; }

    /// <summary>Cached teacher scores to distil from instead of running the teacher (examples carry their keys).</summary>
    public TeacherScoreCache? TeacherScores { get; init; }

    /// <summary>Asked after each step (after <see cref="OnStep"/>); true ends training there, keeping what was learned.</summary>
    public Func<TrainingProgress, bool>? StopAfter { get; init; }

    public static int StepsPerEpoch(int examples, int batchSize) => (examples + batchSize - 1) / batchSize;

    /// <returns>The last step's progress, or null when there was nothing to train.</returns>
    public TrainingProgress? Train(IReadOnlyList<EncodedExample> examples, CancellationToken cancellation = default)
    {
        var named = student.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        var trainable = named.Select(p => p.parameter).ToList();
        if (trainable.Count == 0) throw new InvalidOperationException("The student has no trainable parameters.");
        int stepsPerEpoch = StepsPerEpoch(examples.Count, settings.BatchSize);
        int totalSteps = stepsPerEpoch * settings.Epochs;
        if (settings.MaxSteps > 0) totalSteps = Math.Min(totalSteps, settings.MaxSteps);
        if (totalSteps == 0) return null;
        int warmupSteps = (int)Math.Ceiling(totalSteps * settings.WarmupFraction);

        using var optimizer = optim.AdamW(trainable, lr: settings.LearningRate, weight_decay: settings.WeightDecay);
        var checkpoint = string.IsNullOrEmpty(settings.CheckpointDirectory) ? null
            : new TrainingCheckpoint(settings.CheckpointDirectory, DescribeRun(examples, named));
        var shuffler = new Random(settings.Seed);
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        int step = 0, resumedAt = 0;
        if (checkpoint is { Exists: true })
        {
            // The shuffles are replayed below and the batches before the checkpoint skipped, so the run continues exactly.
            (resumedAt, tokens) = checkpoint.Restore(named, optimizer);
        }
        long tokensBefore = tokens; // throughput counts only this run's work
        TrainingProgress? last = null;
        student.train();
        teacher?.eval();
        try
        {
            for (int epoch = 1; epoch <= settings.Epochs && step < totalSteps; epoch++)
            {
                var order = Enumerable.Range(0, examples.Count).ToArray();
                shuffler.Shuffle(order);
                for (int start = 0; start < order.Length && step < totalSteps; start += settings.BatchSize)
                {
                    cancellation.ThrowIfCancellationRequested();
                    if (step < resumedAt)
                    {
                        step++;
                        continue;
                    }
                    var batch = order.Skip(start).Take(settings.BatchSize).Select(i => examples[i]).ToList();
                    foreach (var group in optimizer.ParamGroups)
                        group.LearningRate = LearningRateAt(step, totalSteps, warmupSteps);

                    var (loss, crossEntropy, divergence, batchTokens) = Step(optimizer, trainable, batch);
                    step++;
                    tokens += batchTokens;
                    double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    int stepsThisRun = step - resumedAt;
                    last = new TrainingProgress(step, totalSteps, epoch, loss, crossEntropy, divergence,
                        tokens, (tokens - tokensBefore) / seconds, clock.Elapsed, TimeSpan.FromSeconds(seconds / stepsThisRun * (totalSteps - step)));
                    if (checkpoint is not null && (step % settings.CheckpointEverySteps == 0 || step == totalSteps))
                        checkpoint.Save(named, optimizer, step, tokens);
                    OnStep?.Invoke(last);
                    if (StopAfter?.Invoke(last) == true) return last;
                }
            }
        }
        finally
        {
            student.eval();
        }
        return last;
    }

    // What must match for a checkpoint to continue this run: settings, data and the trainable parameters' shapes.
    private string DescribeRun(IReadOnlyList<EncodedExample> examples, IEnumerable<(string Name, Parameter Parameter)> named)
    {
        var description = new System.Text.StringBuilder();
        description.Append(settings with { CheckpointDirectory = null, CheckpointEverySteps = 0 });
        foreach (var example in examples)
        {
            description.Append(';').AppendJoin(',', example.TokenIds).Append('/').Append(example.ResponseStart);
            if (example.TeacherTokenIds is not null)
                description.Append('|').AppendJoin(',', example.TeacherTokenIds).Append('/').Append(example.TeacherResponseStart);
        }
        foreach (var (name, parameter) in named) description.Append(';').Append(name).Append(':').AppendJoin('x', parameter.shape);
        return description.ToString();
    }

    private (double Loss, double CrossEntropy, double Divergence, long Tokens) Step(
        optim.Optimizer optimizer, IList<Parameter> trainable, List<EncodedExample> batch)
    {
        using var scope = NewDisposeScope();
        var (cpuInputs, cpuLabels) = TokenBatch.Create(batch, padId); // [B, L] each
        var inputs = cpuInputs.to(student.Device);
        var labels = cpuLabels.to(student.Device);
        if (TeacherScores is not null && settings.KdWeight > 0)
        {
            var (ids, logits) = CachedScores(batch); // [M, K] each
            var cached = DistillationLoss.ComputeTopK(student.Forward(inputs), labels, ids.to(student.Device), logits.to(student.Device),
                settings.KdWeight, settings.Temperature);
            return Update(optimizer, trainable, cached, inputs.numel());
        }
        Tensor? teacherLogits = null, teacherLabels = null;
        if (teacher is not null && settings.KdWeight > 0)
        {
            using var _ = no_grad();
            var teacherInputs = inputs;
            if (batch.Any(e => e.TeacherTokenIds is not null))
            {
                // Response priming: the teacher reads its own prompts before the same response tokens.
                var (cpuTeacherInputs, cpuTeacherLabels) = TokenBatch.Create(batch.Select(e => e.TeacherView).ToList(), padId); // [B, L'] each
                teacherInputs = cpuTeacherInputs.to(student.Device);
                teacherLabels = cpuTeacherLabels.to(student.Device);
            }
            teacherLogits = teacher.Forward(teacherInputs); // [B, L', V']
        }
        var studentLogits = student.Forward(inputs); // [B, L, V]
        var terms = DistillationLoss.Compute(studentLogits, teacherLogits, labels,
            settings.KdWeight, settings.Temperature, settings.Divergence, teacherLabels);
        return Update(optimizer, trainable, terms, inputs.numel());
    }

    // The batch's cached top-K scores, examples in batch order and positions in order: [M, K] ids and logits.
    private (Tensor Ids, Tensor Logits) CachedScores(List<EncodedExample> batch)
    {
        var ids = new List<int>();
        var logits = new List<float>();
        int k = 0;
        foreach (var example in batch)
        {
            var record = TeacherScores!.Read(example.TeacherScoreKey ?? throw new InvalidOperationException("An example has no cached teacher scores."));
            k = record.TopK;
            ids.AddRange(record.Ids);
            logits.AddRange(record.Logits);
        }
        long positions = ids.Count / Math.Max(k, 1);
        return (tensor(ids.Select(i => (long)i).ToArray(), new[] { positions, k }), tensor(logits.ToArray(), new[] { positions, k }));
    }

    private (double Loss, double CrossEntropy, double Divergence, long Tokens) Update(
        optim.Optimizer optimizer, IList<Parameter> trainable, LossTerms terms, long tokens)
    {
        optimizer.zero_grad();
        terms.Total.backward();
        nn.utils.clip_grad_norm_(trainable, settings.MaxGradNorm);
        optimizer.step();
        return (terms.Total.item<float>(), terms.CrossEntropy.item<float>(), terms.Divergence.item<float>(), tokens);
    }

    private double LearningRateAt(int step, int totalSteps, int warmupSteps)
    {
        if (step < warmupSteps) return settings.LearningRate * (step + 1) / warmupSteps;
        double progress = totalSteps - warmupSteps <= 1 ? 1 : (double)(step - warmupSteps) / (totalSteps - warmupSteps - 1);
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return settings.LearningRate * (0.1 + 0.9 * cosine);
    }
}
