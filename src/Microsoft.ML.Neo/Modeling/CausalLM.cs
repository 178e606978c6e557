using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Tokenization;
using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo;

/// <summary>
/// A causal language model of any supported family (Llama, Mistral, Qwen2, Qwen3, Gemma 3, Phi-3, SmolLM3; see
/// <see cref="ModelConfig.SupportedModelTypes"/>) loaded from a Hugging Face folder, with its tokenizer when the folder has one.
/// Lives on the CPU, in float32 unless loaded with <see cref="ComputePrecision.BFloat16"/> (or Auto on a CPU with native bf16).
/// </summary>
public sealed class CausalLM : IDisposable
{
    private readonly TokenizerFiles? tokenizerFiles;
    private readonly Modeling.Families.ModelFamily? storedFamily;

    internal CausalLM(DecoderForCausalLM model, TokenizerFiles? tokenizerFiles, GenerationConfig? generationConfig = null,
        string? tokenizerWarning = null, Modeling.Families.ModelFamily? storedFamily = null)
    {
        this.storedFamily = storedFamily;
        Model = model;
        this.tokenizerFiles = tokenizerFiles;
        GenerationConfig = generationConfig;
        TokenizerWarning = tokenizerWarning;
    }

    /// <summary>
    /// Why the folder's tokenizer files were left out because they could not be read (the model still gives logits
    /// for token ids), or null. The same text goes to <see cref="System.Diagnostics.Trace"/> as a warning.
    /// </summary>
    public string? TokenizerWarning { get; }

    /// <summary>
    /// Loads <c>config.json</c>, <c>model.safetensors</c> (or its shards) and, when present, the tokenizer files
    /// (<c>tokenizer.json</c> or <c>tokenizer.model</c>, with <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>).
    /// Tokenizer files that cannot be read do not stop the load: the model comes without a tokenizer, as from a folder
    /// that has none, and <see cref="TokenizerWarning"/> says why.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder is not a checkpoint this library can read; the message says why.</exception>
    public static CausalLM FromPretrained(string directory) => FromPretrained(directory, ComputePrecision.Float32);

    /// <summary>
    /// As <see cref="FromPretrained(string)"/>, holding the weights in <paramref name="precision"/>: a bf16 checkpoint
    /// loaded in BFloat16 is copied straight into bf16 parameters (no float32 copy), and generation runs its matrix
    /// products in bf16.
    /// </summary>
    /// <exception cref="NotSupportedException">BFloat16 on a CPU without native bf16 arithmetic.</exception>
    public static CausalLM FromPretrained(string directory, ComputePrecision precision)
    {
        TorchNatives.Ensure();
        var dtype = PrecisionSupport.Resolve(precision, CPU);
        var folder = PretrainedFolder.Open(directory, "requested"); // checks the folder first
        return folder.ToCausalLM(folder.LoadModel(dtype));
    }

    /// <summary>
    /// A student made from a bigger model: <paramref name="layerCount"/> of its decoder layers, evenly spaced with the
    /// first and last kept, plus its embeddings, final norm, head and tokenizer. Only the kept tensors are read. Save it
    /// with <see cref="SavePretrained"/> and use the folder as <c>StudentModelPath</c>.
    /// </summary>
    public static CausalLM FromPretrainedLayers(string directory, int layerCount)
    {
        TorchNatives.Ensure();
        var folder = PretrainedFolder.Open(directory, "teacher");
        return LayerSelection.Load(folder, LayerSelection.EvenlySpaced(folder.Config.NumHiddenLayers, layerCount));
    }

    /// <summary>A randomly initialised model (seeded), for training from scratch, tests and benchmarks.</summary>
    public static CausalLM Create(ModelConfig config, TokenizerFiles? tokenizer, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        TorchNatives.Ensure();
        manual_seed(seed);
        var model = new DecoderForCausalLM(config);
        model.eval();
        return new CausalLM(model, tokenizer);
    }

    /// <summary>The dtype of the base weights: float32 or bfloat16 (LoRA adapters are always float32).</summary>
    public string WeightDtype => PrecisionSupport.Name(Model.WeightDtype);

    /// <summary>Number of weights, adapters included.</summary>
    public long ParameterCount => Model.parameters().Sum(p => p.numel());

    /// <summary>The architecture read from <c>config.json</c>.</summary>
    public ModelConfig Config => Model.Config;

    /// <summary>The tokenizer, or null when the folder had no tokenizer files.</summary>
    public Tokenizer? Tokenizer => tokenizerFiles?.Tokenizer;

    /// <summary>The tokenizer files with their special tokens (BOS, EOS, pad), or null when the folder had none.</summary>
    public TokenizerFiles? TokenizerFiles => tokenizerFiles;

    internal DecoderForCausalLM Model { get; }

    /// <summary>
    /// The family of the checkpoint the weights came from, whose module names PEFT adapters follow: the config's own,
    /// except for a model read from a wrapper such as multimodal Gemma 3.
    /// </summary>
    internal Modeling.Families.ModelFamily StoredFamily => storedFamily ?? Config.Family;

    /// <summary>The folder's generation_config.json, or null when it had none.</summary>
    public GenerationConfig? GenerationConfig { get; }

    /// <summary>End-of-sequence id: the tokenizer's, else the config's.</summary>
    public int? EndOfSequenceId => tokenizerFiles?.EndOfSequenceId ?? Config.EosTokenId;

    /// <summary>
    /// Every id generation stops at: the tokenizer's end of sequence, and the ids listed by generation_config.json
    /// and config.json (Llama 3 instruct ends turns with a second id).
    /// </summary>
    public IReadOnlySet<int> StopTokenIds => StopTokens.Of(Config, tokenizerFiles, GenerationConfig);

    /// <summary>Next-token logits for one sequence: [sequence, vocab].</summary>
    public float[,] Logits(int[] tokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        RequireTokenIds(tokenIds, nameof(tokenIds));

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var input = tensor(tokenIds.Select(id => (long)id).ToArray(), new long[] { 1, tokenIds.Length }).to(Model.Device); // [1, T]
        var logits = Model.Forward(input)[0].to(ScalarType.Float32).cpu().contiguous();                 // [T, V]
        var flat = logits.data<float>().ToArray();
        var result = new float[tokenIds.Length, Config.VocabSize];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(float));
        return result;
    }

    /// <summary>Generates token ids after <paramref name="promptIds"/>; stops at end-of-sequence or <see cref="GenerationOptions.MaxNewTokens"/>.</summary>
    public int[] Generate(int[] promptIds, GenerationOptions? options = null) =>
        TokenGenerator.Generate(Model, promptIds, options ?? new GenerationOptions(), StopTokenIds);

    /// <summary>
    /// Generates after many prompts at once, in one left-padded batch with a shared KV cache: each prompt gets what
    /// <see cref="Generate(int[], GenerationOptions?)"/> would give it alone (greedy decoding; sampled rows draw from
    /// their own seeded generator), in far fewer forward passes. Prompts of very different lengths cost the longest
    /// one's prefill for all; group them by length for the best speed. <paramref name="seeds"/> gives each row its
    /// sampling seed; null: <see cref="GenerationOptions.Seed"/> for every row, as separate calls would use.
    /// <paramref name="maxNewTokens"/> gives each row its own token budget; null: <see cref="GenerationOptions.MaxNewTokens"/>.
    /// With float32 weights each row is exactly what it gets alone; with bfloat16 weights a few rows can differ in
    /// their later tokens, as bf16 arithmetic rounds differently for different batch shapes (docs/concepts.md).
    /// </summary>
    public int[][] Generate(IReadOnlyList<int[]> prompts, GenerationOptions? options = null, IReadOnlyList<int>? seeds = null,
        IReadOnlyList<int>? maxNewTokens = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        foreach (var prompt in prompts) RequireTokenIds(prompt ?? throw new ArgumentException("A prompt is null.", nameof(prompts)), nameof(prompts));
        return BatchGenerator.Generate(Model, prompts, options ?? new GenerationOptions(), StopTokenIds, PadId, seeds, maxNewTokens: maxNewTokens);
    }

    /// <summary>Encodes each prompt (with BOS), generates for all of them in one batch, and decodes the new tokens.</summary>
    public string[] Generate(IReadOnlyList<string> prompts, GenerationOptions? options = null, IReadOnlyList<int>? seeds = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var tokenizer = tokenizerFiles
            ?? throw new InvalidOperationException(TokenizerWarning ?? "This model has no tokenizer files; generate from token ids instead.");
        return Generate(prompts.Select(p => tokenizer.Encode(p)).ToList(), options, seeds).Select(ids => tokenizer.Decode(ids)).ToArray();
    }

    // What padding positions of a batch hold (never attended to): the tokenizer's pad, else its end of sequence, else 0.
    internal int PadId => tokenizerFiles?.PaddingId ?? EndOfSequenceId ?? 0;

    /// <summary>
    /// Generates one token at a time, each yielded as soon as it is chosen; stops at a stop token (not yielded), after
    /// <see cref="GenerationOptions.MaxNewTokens"/>, or when <paramref name="cancellation"/> is cancelled. Enumerate it
    /// once, and make no other call on this model until it ends.
    /// </summary>
    public IEnumerable<int> GenerateTokens(IReadOnlyList<int> promptIds, GenerationOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        return TokenGenerator.Stream(Model, promptIds, options ?? new GenerationOptions(), StopTokenIds, cancellation);
    }

    /// <summary>
    /// Scores <paramref name="tokenIds"/> in one forward pass: each token's log-probability and rank given the tokens
    /// before it, with the <paramref name="topK"/> most likely ids at each position, and the logits of the next token.
    /// </summary>
    public SequenceScores Score(IReadOnlyList<int> tokenIds, int topK)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        return ScoreBatch(new[] { tokenIds }, topK)[0];
    }

    /// <summary>
    /// <see cref="Score"/> for several sequences in one forward pass; each result equals scoring its sequence alone, up
    /// to rounding (the batch is padded on the right, which causal attention never lets an earlier position see).
    /// </summary>
    public IReadOnlyList<SequenceScores> ScoreBatch(IReadOnlyList<IReadOnlyList<int>> sequences, int topK)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfNegative(topK);
        foreach (var sequence in sequences) RequireTokenIds(sequence, nameof(sequences));
        return TokenLogprobs.ScoreBatch(Model, sequences, topK);
    }

    // A sequence the model can read: at least one id, every id in the vocabulary, no longer than the context.
    private void RequireTokenIds(IReadOnlyList<int> tokenIds, string parameter)
    {
        if (tokenIds.Count == 0) throw new ArgumentException("At least one token id is required.", parameter);
        foreach (int id in tokenIds)
        {
            if (id < 0 || id >= Config.VocabSize)
                throw new ArgumentOutOfRangeException(parameter, $"Token id {id} is outside the vocabulary [0, {Config.VocabSize}).");
        }
        if (tokenIds.Count > Config.ContextLength)
            throw new ArgumentException($"{tokenIds.Count} tokens exceed the model's context of {Config.ContextLength}.", parameter);
    }

    /// <summary>Encodes the prompt (with BOS), generates, and decodes the new tokens.</summary>
    public string Generate(string prompt, GenerationOptions? options = null)
    {
        var tokenizer = tokenizerFiles
            ?? throw new InvalidOperationException(TokenizerWarning ?? "This model has no tokenizer files; generate from token ids instead.");
        return tokenizer.Decode(Generate(tokenizer.Encode(prompt), options));
    }

    /// <summary>Writes the model as a Hugging Face folder (config, safetensors in <paramref name="dtype"/>, tokenizer).</summary>
    public void SavePretrained(string directory, SafeTensorsDtype dtype = SafeTensorsDtype.Float32)
    {
        HuggingFaceCheckpoint.Save(Model, directory, dtype);
        tokenizerFiles?.SaveTo(directory);
        if (GenerationConfig is not null) File.WriteAllText(Path.Combine(directory, GenerationConfig.FileName), GenerationConfig.ToJson());
    }

    /// <summary>Writes the attached LoRA adapters in PEFT's format (adapter_config.json, adapter_model.safetensors).</summary>
    public void SavePeftAdapters(string directory, string? baseModelPath = null) =>
        Lora.PeftAdapterFormat.Save(Model, directory, baseModelPath, StoredFamily);

    /// <summary>Attaches the LoRA adapters of a PEFT folder to this (adapter-free) model and loads their weights.</summary>
    public void LoadPeftAdapters(string directory) => Lora.PeftAdapterFormat.Load(Model, directory, StoredFamily);

    /// <summary>Adds every adapter's update into its base weight and removes the adapters.</summary>
    public void MergeAdapters() => Lora.LoraInjector.Merge(Model);

    public void Dispose() => Model.Dispose();
}
