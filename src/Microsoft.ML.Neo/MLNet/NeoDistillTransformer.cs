using Microsoft.ML.Data;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.MLNet.ModelZip;
using Microsoft.ML.Neo.Training;
using Microsoft.ML.Runtime;

[assembly: Microsoft.ML.LoadableClass(typeof(Microsoft.ML.Neo.NeoDistillTransformer), null, typeof(Microsoft.ML.SignatureLoadModel),
    "Neo Distill Transformer", Microsoft.ML.Neo.NeoDistillTransformer.LoaderSignature)]

namespace Microsoft.ML.Neo;

/// <summary>
/// The distilled student. Keeps every input column and adds <see cref="NeoDistillOptions.OutputColumnName"/>, the
/// student's completion of the prompt, computed lazily when a row's value is read. Saves into ML.NET model zips
/// with its weights, adapters and tokenizer, so the zip works without the original model folders.
/// </summary>
public sealed class NeoDistillTransformer : ITransformer, ICanSaveModel, IDisposable, ICompletionSource
{
    internal const string LoaderSignature = "NeoDistillTransformer";

    private readonly IHost host;
    private readonly CausalLM student;
    private readonly NeoDistillOptions? options; // null when loaded from a zip
    private readonly DistilledModelRecord record;
    private readonly StudentSpec spec;
    private readonly GenerationOptions generation;
    // Generation mutates the model's train/eval state and the KV cache; one completion at a time.
    private readonly object generationLock = new();

    internal NeoDistillTransformer(IHost host, CausalLM student, NeoDistillOptions? options, StudentSpec spec, TrainingProgress? summary)
        : this(host, student, options, DistilledModelRecord.From(options!), spec, summary)
    {
    }

    private NeoDistillTransformer(IHost host, CausalLM student, NeoDistillOptions? options, DistilledModelRecord record, StudentSpec spec,
        TrainingProgress? summary)
    {
        this.host = host;
        this.student = student;
        this.options = options;
        this.record = record;
        this.spec = spec;
        generation = record.Generation;
        TrainingSummary = summary;
    }

    /// <summary>
    /// The options the transformer was trained with, in this process; null for a transformer loaded from a zip, which
    /// keeps no teacher, data or training settings (and would otherwise report defaults it never had). What every
    /// transformer, fitted or loaded, holds is <see cref="Settings"/>.
    /// </summary>
    public NeoDistillOptions? Options => options?.Clone();

    /// <summary>What the transformer is: its columns, generation settings, student precision and adapters, as a model zip records them.</summary>
    public DistilledModelSettings Settings => new(record, spec);

    /// <summary>The last training step's losses and throughput; null for a transformer loaded from a zip.</summary>
    public TrainingProgress? TrainingSummary { get; }

    /// <summary>The student with its adapters, for logits and generation outside a pipeline.</summary>
    public CausalLM Student => student;

    public bool IsRowToRowMapper => true;

    /// <summary>Generates the student's completion of one prompt with the transformer's generation settings.</summary>
    public string Complete(string prompt)
    {
        var tokenizer = student.TokenizerFiles!;
        var ids = ContextWindow.KeepEnd(tokenizer.Encode(prompt), student.Config.ContextLength);
        lock (generationLock)
        {
            CompletionsGenerated++;
            return tokenizer.Decode(student.Generate(ids, generation));
        }
    }

    /// <summary>
    /// Completes many prompts with the transformer's generation settings, <paramref name="batchSize"/> at a time in one
    /// batched decoding pass each: the same completions as <see cref="Complete(string)"/> one by one (greedy, or sampled
    /// with the settings' seed for every row), in far fewer forward passes. Prompts are grouped by length inside the
    /// call, so a batch pads little; the results come back in the prompts' order.
    /// </summary>
    /// <param name="batchSize">Prompts decoded together, 1 to 1024. Default 16.</param>
    public string[] Complete(IReadOnlyList<string> prompts, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, 1024);
        var tokenizer = student.TokenizerFiles!;
        var encoded = prompts.Select(p => ContextWindow.KeepEnd(tokenizer.Encode(p ?? throw new ArgumentException("A prompt is null.", nameof(prompts))),
            student.Config.ContextLength)).ToArray();
        int[][] generated;
        lock (generationLock)
        {
            generated = BatchGenerator.GenerateGrouped(student.Model, encoded, batchSize, generation, student.StopTokenIds, student.PadId, rows =>
            {
                CompletionsGenerated += rows;
                CompletionBatches++;
            });
        }
        var results = generated.Select(ids => tokenizer.Decode(ids)).ToArray();
        return results;
    }

    /// <summary>
    /// The distilled student as a Microsoft.Extensions.AI <see cref="Microsoft.Extensions.AI.IChatClient"/> (with
    /// streaming), generating with this transformer's settings unless a request's options say otherwise. Prompts are
    /// plain (the conversation's texts joined by newlines), as the student was trained on prompt/response pairs. The
    /// client uses this transformer's student: dispose the transformer after the client, and do not run the pipeline
    /// on it while a chat call runs.
    /// </summary>
    public Microsoft.Extensions.AI.IChatClient AsIChatClient(string modelId = "neo-distilled") =>
        new CausalLMChatClient(student, format: null, detectFormat: false, modelId, generation);

    /// <summary>
    /// The student's mean cross-entropy on the response tokens of <paramref name="data"/> (the prompt and response
    /// columns of <see cref="Settings"/>): the validation loss that <see cref="NeoDistillOptions.ValidationData"/> reports
    /// during training, measured on this model. Rows too long for the student's context are left out, as in training.
    /// </summary>
    /// <param name="data">Rows with the prompt column and the response column.</param>
    /// <param name="responseColumnName">The response column; null (default): the one the model was trained on (a zip
    /// written before it was recorded needs it given).</param>
    public double ResponseLoss(IDataView data, string? responseColumnName = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var prompt = TextColumns.Require(data.Schema, record.PromptColumnName, nameof(NeoDistillOptions.PromptColumnName));
        string responseName = responseColumnName ?? record.ResponseColumnName ?? throw new ArgumentException(
            "This model's zip was written before it recorded its response column; pass responseColumnName.", nameof(responseColumnName));
        var response = TextColumns.Require(data.Schema, responseName, nameof(NeoDistillOptions.ResponseColumnName));
        return MeanResponseLoss(TextColumns.ReadAll(data, new[] { prompt, response }).Select(r => (r[0], r[1])).ToList());
    }

    /// <summary>Mean cross-entropy of the student on the rows' response tokens.</summary>
    internal double MeanResponseLoss(IReadOnlyList<(string Prompt, string Response)> rows)
    {
        var tokenizer = student.TokenizerFiles!;
        var encoder = new Data.PromptResponseEncoder(tokenizer, student.Config.ContextLength);
        var examples = rows.Select(r => encoder.Encode(r.Prompt, r.Response)).OfType<Data.EncodedExample>().ToList();
        lock (generationLock)
        {
            return Distillation.Loss.ResponseLoss.Mean(student.Model, examples, tokenizer.PaddingId ?? encoder.EndOfSequenceId);
        }
    }

    /// <summary>How many completions this instance has generated (laziness is tested with it).</summary>
    internal long CompletionsGenerated { get; private set; }

    /// <summary>Batched decoding passes made by <see cref="Complete(IReadOnlyList{string}, int)"/> (tests read it).</summary>
    internal long CompletionBatches { get; private set; }

    /// <summary>
    /// Writes the distilled student, adapters merged, as a Hugging Face folder (config.json, model.safetensors in
    /// <paramref name="dtype"/>, tokenizer.model) that <c>transformers</c> and <see cref="CausalLM.FromPretrained(string)"/> open.
    /// </summary>
    public void ExportHuggingFace(string directory, SafeTensorsDtype dtype = SafeTensorsDtype.Float32)
    {
        lock (generationLock)
        {
            using var copy = spec.Copy(student);
            copy.MergeAdapters();
            copy.SavePretrained(directory, dtype);
        }
    }

    /// <summary>Writes only the trained LoRA adapters, in PEFT's format, to apply onto the student base elsewhere.</summary>
    public void ExportPeftAdapters(string directory)
    {
        if (spec.Trainable.TrainsBaseWeights)
            throw new InvalidOperationException("This model was trained with Finetuning = Full: every weight changed and there are no LoRA adapters " +
                "to write as PEFT. Export the whole model as a Hugging Face folder instead (ExportHuggingFace, or neo export --hf).");
        lock (generationLock)
        {
            student.SavePeftAdapters(directory, string.IsNullOrWhiteSpace(options?.StudentModelPath) ? record.BaseModelName : options.StudentModelPath);
        }
    }

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        TextColumns.Require(inputSchema, record.PromptColumnName, nameof(NeoDistillOptions.PromptColumnName));
        return TextColumns.Append(inputSchema, record.OutputColumnName);
    }

    public IDataView Transform(IDataView input) => new CompletionDataView(this, input);

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new CompletionMapper(this, inputSchema);

    void ICanSaveModel.Save(ModelSaveContext ctx) => NeoDistillModelFormat.Save(ctx, student, record, spec);

    // Called by ML.NET when a model zip names this transformer's loader signature.
    private static NeoDistillTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Modeling.TorchNatives.Ensure();
        var host = env.Register(nameof(NeoDistillTransformer));
        var (student, record, spec) = NeoDistillModelFormat.Load(ctx, message =>
        {
            using var channel = host.Start("Load");
            channel.Info(MessageSensitivity.None, "{0}", message);
        });
        return new NeoDistillTransformer(host, student, options: null, record, spec, summary: null);
    }

    internal string OutputColumnName => record.OutputColumnName;

    IReadOnlyList<string> ICompletionSource.InputColumnNames => new[] { record.PromptColumnName };

    string ICompletionSource.Complete(IReadOnlyList<string> inputs) => Complete(inputs[0]);

    IReadOnlyList<string> ICompletionSource.CompleteMany(IReadOnlyList<IReadOnlyList<string>> rows) =>
        Complete(rows.Select(r => r[0]).ToList(), BlockCompletions.BlockSize);

    public void Dispose() => student.Dispose();
}
