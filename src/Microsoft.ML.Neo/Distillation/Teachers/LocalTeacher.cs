using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>A teacher model in this process (usually a Hugging Face folder), frozen and in eval mode.</summary>
internal sealed class LocalTeacher : ITeacher
{
    private readonly string? directory;
    private readonly DecoderForCausalLM model;
    private readonly Lazy<string> fingerprint;
    private readonly bool baseOfStudent; // the student's own frozen base: adapters off for every pass, the model not owned

    /// <summary>Takes ownership of a loaded model and freezes it.</summary>
    /// <param name="folder">The folder it came from (its fingerprint and stop ids); null for a model made in memory,
    /// which stops at its config's end-of-sequence ids.</param>
    public LocalTeacher(DecoderForCausalLM model, PretrainedFolder? folder)
    {
        this.model = model;
        directory = folder?.Directory;
        foreach (var p in model.parameters()) p.requires_grad = false;
        model.eval();
        StopTokenIds = folder?.StopTokenIds ?? StopTokens.Of(model.Config, tokenizer: null, generation: null);
        // Hashes the weights: once, and only if asked (by a cache). A teacher computing in another dtype gives other
        // scores and may generate other tokens, so its dtype is part of the fingerprint (float32 keeps the bare hash).
        fingerprint = new Lazy<string>(() =>
        {
            string files = TeacherFingerprint.Of(directory
                ?? throw new InvalidOperationException("A teacher made in memory has no files to fingerprint; it cannot be cached."));
            // A quantized teacher's scores and generations are its own too.
            string held = model.WeightDtype == ScalarType.Float32 ? files : $"{files}/{model.WeightDtype}";
            return Modeling.Quantization.WeightQuantizer.Of(model) is var q && q != WeightQuantization.None ? $"{held}/{q}" : held;
        });
    }

    /// <summary>
    /// Self-distillation's teacher: the student being trained, with its adapters turned off for every teacher pass, so
    /// it computes the frozen base it was loaded from. No second model is loaded; the student is neither frozen nor
    /// disposed here. Its fingerprint is the student folder's (the base is those files) and its dtype.
    /// </summary>
    public static LocalTeacher BaseOf(DecoderForCausalLM student, PretrainedFolder studentFolder) => new(student, studentFolder, baseOfStudent: true);

    private LocalTeacher(DecoderForCausalLM student, PretrainedFolder folder, bool baseOfStudent)
    {
        model = student;
        directory = folder.Directory;
        this.baseOfStudent = baseOfStudent;
        StopTokenIds = folder.StopTokenIds;
        fingerprint = new Lazy<string>(() => $"self:{TeacherFingerprint.Of(folder.Directory)}/{student.WeightDtype}");
    }

    // Every pass through the model: the student's adapters are off for its duration when this is its base.
    private IDisposable? TeacherPass() => baseOfStudent ? model.WithoutAdapters() : null;

    /// <summary>Loads a Hugging Face folder in <paramref name="dtype"/> onto <paramref name="device"/>.</summary>
    public static LocalTeacher Load(string directory, Device device, ScalarType dtype = ScalarType.Float32) =>
        Load(PretrainedFolder.Open(directory, "teacher"), device, dtype);

    /// <summary>Loads an opened folder's model in <paramref name="dtype"/> onto <paramref name="device"/>.</summary>
    /// <param name="quantization">Hold the teacher's projections as integer codes, dequantized per layer in each pass.</param>
    public static LocalTeacher Load(PretrainedFolder folder, Device device, ScalarType dtype = ScalarType.Float32,
        WeightQuantization quantization = WeightQuantization.None)
    {
        var model = folder.LoadModel(dtype);
        try
        {
            model.to(device);
            Modeling.Quantization.WeightQuantizer.Apply(model, quantization);
            return new LocalTeacher(model, folder);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public string Fingerprint => fingerprint.Value;

    public int ContextLength => model.Config.ContextLength;

    public IReadOnlySet<int> StopTokenIds { get; }

    public string? CacheSummary => null;

    public int[] Generate(int[] promptIds, int maxNewTokens, IReadOnlyCollection<int> stopIds)
    {
        int maxNew = Math.Min(maxNewTokens, ContextLength - promptIds.Length);
        if (maxNew <= 0) return Array.Empty<int>();
        using var pass = TeacherPass();
        return TokenGenerator.Generate(model, promptIds, new GenerationOptions { MaxNewTokens = maxNew }, stopIds);
    }

    public int[][] Generate(IReadOnlyList<int[]> prompts, int maxNewTokens, IReadOnlyCollection<int> stopIds)
    {
        // One batched pass over the prompts that leave room to generate (each is bounded by its own room, as alone).
        var results = prompts.Select(_ => Array.Empty<int>()).ToArray();
        var room = Enumerable.Range(0, prompts.Count).Where(i => prompts[i].Length < ContextLength).ToList();
        if (room.Count == 0) return results;
        using var pass = TeacherPass();
        var generated = BatchGenerator.Generate(model, room.Select(i => (IReadOnlyList<int>)prompts[i]).ToList(),
            new GenerationOptions { MaxNewTokens = maxNewTokens }, stopIds, padId: 0); // pads are never attended to
        for (int k = 0; k < room.Count; k++) results[room[k]] = generated[k];
        return results;
    }

    public TeacherBatchScores Score(TokenBatch batch, int vocabulary)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var pass = TeacherPass();
        var hidden = model.Hidden(batch.TeacherInputs.to(model.Device));                                         // [B, L', C]
        var rows = hidden.reshape(-1, hidden.shape[^1]).index_select(0, batch.TeacherResponseRows.to(model.Device)); // [M, C]
        return new HiddenRowScores(this, rows.MoveToOuterDisposeScope(), vocabulary, batch.Inputs.device);
    }

    // The teacher's final hidden states at the response rows; the head runs on one chunk of them at a time.
    private sealed class HiddenRowScores(LocalTeacher teacher, Tensor hiddenRows, int vocabulary, Device device) : TeacherBatchScores
    {
        public override long RowCount => hiddenRows.shape[0];

        public override TeacherTargets Rows(long start, long count)
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            using var pass = teacher.TeacherPass();
            var logits = teacher.model.Head(hiddenRows.narrow(0, start, count)).narrow(-1, 0, vocabulary); // [n, V]
            return new TeacherTargets(logits.to(device).MoveToOuterDisposeScope(), null);
        }
    }

    public void ScoreTopK(IReadOnlyList<EncodedExample> examples, int vocabulary, int topK, int padId, Action<EncodedExample, int[], float[]> store) =>
        TopKScoring.InBatches(this, examples, vocabulary, topK, padId, store);

    public void PrepareScores(IReadOnlyList<EncodedExample> examples, int vocabulary, int padId, Action<string> log)
    {
        // Scores are computed online, batch by batch.
    }

    public override string ToString() => baseOfStudent ? $"the student's own base '{directory}'" : $"local teacher '{directory ?? "(in memory)"}'";

    public void Dispose()
    {
        if (!baseOfStudent) model.Dispose(); // the student's model belongs to the run
    }
}
