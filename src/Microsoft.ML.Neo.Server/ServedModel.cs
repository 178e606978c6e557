using Microsoft.Extensions.AI;
using Microsoft.ML.Data;

namespace Microsoft.ML.Neo.Server;

/// <summary>
/// The one model a server hosts, with its tokenizer and chat client. Every use of the model goes through
/// <see cref="RunAsync{T}"/>, one at a time: a forward pass already uses every core, and the model is not meant for
/// concurrent calls.
/// </summary>
internal sealed class ServedModel : IDisposable
{
    private readonly IDisposable owner;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly Lazy<string[]> pieces;

    private ServedModel(CausalLM model, IDisposable owner, string id, bool isDistilledZip)
    {
        Model = model;
        this.owner = owner;
        Id = id;
        Tokenizer = model.TokenizerFiles ?? throw new InvalidDataException(
            model.TokenizerWarning ?? "The model has no tokenizer files; a server needs them to read prompts and write text.");
        // A distilled student was trained on plain prompts: its chat client keeps them plain, whatever the base folder's template.
        Chat = isDistilledZip ? CausalLMChatClient.WithPlainPrompts(model, id, new GenerationOptions()) : new CausalLMChatClient(model, format: null, id, new GenerationOptions());
        pieces = new Lazy<string[]>(() => ContextualPieces(Tokenizer, model.Config.VocabSize));
        Scoring = new ScoringQueue((sequences, topK) => RunAsync(() => model.ScoreBatch(sequences, topK), CancellationToken.None));
        Generation = new GenerationQueue((prompts, options, seeds, budgets) =>
            RunAsync(() => model.Generate(prompts, options, seeds, budgets), CancellationToken.None));
    }

    /// <summary>Completion requests, batched into shared decoding passes.</summary>
    public GenerationQueue Generation { get; }

    /// <summary>Scoring requests, batched into shared forward passes.</summary>
    public ScoringQueue Scoring { get; }

    public CausalLM Model { get; }

    public string Id { get; }

    public TokenizerFiles Tokenizer { get; }

    public CausalLMChatClient Chat { get; }

    public int ContextLength => Model.Config.ContextLength;

    public int VocabularySize => Model.Config.VocabSize;

    /// <summary>
    /// The text one token id adds after other text, as <c>decoded_token</c> and <c>top_logprobs</c> report it: with
    /// its leading space (" Max"), which decoding the id alone drops for SentencePiece tokenizers.
    /// </summary>
    public string Piece(int id) => id >= 0 && id < pieces.Value.Length ? pieces.Value[id] : "";

    // Each id decoded after a plain letter, minus the letter: the text the token adds in the middle of a sequence.
    private static string[] ContextualPieces(TokenizerFiles tokenizer, int vocabulary)
    {
        var letter = tokenizer.Encode("a", addBeginningOfSequence: false);
        if (letter.Length != 1) return Enumerable.Range(0, vocabulary).Select(i => tokenizer.Decode(new[] { i })).ToArray();
        string prefix = tokenizer.Decode(letter);
        return Enumerable.Range(0, vocabulary).Select(i =>
        {
            string text = tokenizer.Decode(new[] { letter[0], i });
            return text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : tokenizer.Decode(new[] { i });
        }).ToArray();
    }

    /// <summary>
    /// Each token's text in the sequence, joining into the sequence's decoded text (<see cref="TokenizerFiles.TokenTexts"/>);
    /// a BOS the tokenizer added first adds no text, so a prompt's texts join into the prompt as written.
    /// </summary>
    public string[] TokenTexts(int[] ids)
    {
        bool leadingBos = ids.Length > 0 && ids[0] == Tokenizer.BeginningOfSequenceId;
        var texts = Tokenizer.TokenTexts(leadingBos ? ids[1..] : ids);
        return leadingBos ? new[] { "" }.Concat(texts).ToArray() : texts;
    }

    /// <summary>The generated tokens' text as it continues the prompt, its leading space kept (as vLLM returns it).</summary>
    public string ContinuationText(int[] promptIds, IReadOnlyList<int> generated)
    {
        if (generated.Count == 0) return "";
        int[] context = [.. promptIds[Math.Max(0, promptIds.Length - 8)..], .. generated];
        return string.Concat(Tokenizer.TokenTexts(context).Skip(context.Length - generated.Count));
    }

    /// <summary>Loads a Hugging Face folder or a NeoDistill model zip.</summary>
    public static ServedModel Load(string path, string? id, ComputePrecision precision)
    {
        string name = id ?? Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
        if (Directory.Exists(path))
        {
            var model = CausalLM.FromPretrained(path, precision);
            return new ServedModel(model, model, name, isDistilledZip: false);
        }
        var distilled = new MLContext().Model.LoadNeoDistill(path);
        return new ServedModel(distilled.Student, distilled, name, isDistilledZip: true);
    }

    /// <summary>Runs model work on the thread pool, after any earlier call has finished.</summary>
    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellation)
    {
        await gate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            return await Task.Run(work, cancellation).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Holds the model for a streamed chat response; dispose the result to let the next call in.</summary>
    public async Task<IDisposable> AcquireAsync(CancellationToken cancellation)
    {
        await gate.WaitAsync(cancellation).ConfigureAwait(false);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0) gate.Release();
        }
    }

    public void Dispose()
    {
        Scoring.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Generation.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Chat.Dispose();
        owner.Dispose();
        gate.Dispose();
    }
}
