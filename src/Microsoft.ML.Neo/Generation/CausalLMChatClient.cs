using Microsoft.ML.Neo.Generation;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.ML.Neo.Tokenization;
using Microsoft.ML.Neo.Tokenization.Chat;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;


namespace Microsoft.ML.Neo;

/// <summary>
/// A <see cref="CausalLM"/> (a distilled student, or any folder with a tokenizer) as a Microsoft.Extensions.AI
/// <see cref="IChatClient"/>, with streaming, so an app uses it like any other chat model.
/// </summary>
/// <remarks>
/// <para>The conversation becomes one prompt: in the model's chat format (<see cref="ChatFormat"/>; detected from the
/// folder's <c>chat_template</c> unless given), or, for models trained on plain prompt/response pairs as NeoDistill
/// students are, the messages' texts joined by newlines. A prompt longer than the context keeps its end.</para>
/// <para>Options: <c>MaxOutputTokens</c>, <c>Temperature</c> (0 or unset decodes greedily), <c>TopP</c>, <c>Seed</c> and
/// <c>StopSequences</c> are honoured; others are ignored. Calls on one client run one at a time. The client does not
/// own the model: dispose the model yourself, and do not use it elsewhere while a call runs.</para>
/// </remarks>
public sealed class CausalLMChatClient : IChatClient
{
    private readonly CausalLM model;
    private readonly TokenizerFiles tokenizer;
    private readonly ChatFormat? format;
    private readonly GenerationOptions defaults;
    private readonly ChatClientMetadata metadata;
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <param name="model">A model with a tokenizer.</param>
    /// <param name="format">The chat format, or null to use the folder's (from its <c>chat_template</c>) or, failing
    /// that, plain prompts.</param>
    /// <param name="modelId">The id responses report; defaults to "neo".</param>
    /// <param name="defaults">Generation settings used where the request's <see cref="ChatOptions"/> say nothing.</param>
    public CausalLMChatClient(CausalLM model, ChatFormat? format = null, string? modelId = null, GenerationOptions? defaults = null)
        : this(model, format, detectFormat: true, modelId, defaults)
    {
    }

    /// <summary>
    /// A client that writes each conversation as a plain prompt (the messages' texts joined by newlines) whatever the
    /// folder's chat template says: for models trained on plain prompt/response pairs, as NeoDistill students are.
    /// </summary>
    public static CausalLMChatClient WithPlainPrompts(CausalLM model, string? modelId = null, GenerationOptions? defaults = null) =>
        new(model, format: null, detectFormat: false, modelId, defaults);

    /// <param name="detectFormat">False keeps prompts plain when <paramref name="format"/> is null, whatever the folder says.</param>
    internal CausalLMChatClient(CausalLM model, ChatFormat? format, bool detectFormat, string? modelId, GenerationOptions? defaults)
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
        tokenizer = model.TokenizerFiles ?? throw new ArgumentException(
            model.TokenizerWarning ?? "The model has no tokenizer files; a chat client needs them to read and write text.", nameof(model));
        // The folder's template decides; a folder without one gets its family's format, where the family has one.
        this.format = format ?? (detectFormat ? DetectOrRefuse(tokenizer) ?? model.Config.Family.DefaultChatFormat : null);
        this.defaults = defaults ?? new GenerationOptions();
        this.defaults.Validate();
        metadata = new ChatClientMetadata("Microsoft.ML.Neo", providerUri: null, defaultModelId: modelId ?? "neo");
    }

    // A folder whose template is one the library cannot render is refused rather than prompted in a guessed format.
    private static ChatFormat? DetectOrRefuse(TokenizerFiles tokenizer)
    {
        string? template = ChatPrompt.TemplateOf(tokenizer);
        if (template is null) return null;
        if (ChatPrompt.DetectFormat(template) is ChatFormat detected) return detected;
        string start = template.Length > 80 ? template[..80] + "…" : template;
        throw new NotSupportedException(
            $"tokenizer_config.json's chat_template is not one this library renders (it knows {ChatPrompt.KnownFormats}); " +
            $"it starts \"{start.ReplaceLineEndings(" ")}\". Pass the format to use (a ChatFormat) when creating the chat client.");
    }

    /// <summary>The chat format prompts are written in, or null for plain prompts.</summary>
    public ChatFormat? Format => format;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AIChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        UsageDetails? usage = null;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            finish = update.FinishReason ?? finish;
            usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
        }
        return new ChatResponse(new AIChatMessage(ChatRole.Assistant, text.ToString()))
        {
            FinishReason = finish,
            Usage = usage,
            ModelId = options?.ModelId ?? metadata.DefaultModelId,
            CreatedAt = DateTimeOffset.UtcNow,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AIChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var promptIds = PromptIds(messages.ToList(), options);
        var generation = Merge(options);
        var output = new StopSequenceStream(options?.StopSequences);
        string responseId = Guid.NewGuid().ToString("N");
        string modelId = options?.ModelId ?? metadata.DefaultModelId!;

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var generated = new List<int>();
            // Generation is compute-bound: each step runs on the thread pool, off the caller's thread.
            using var ids = TokenGenerator.Stream(model.Model, promptIds, generation, model.StopTokenIds, cancellationToken).GetEnumerator();
            while (await Task.Run(ids.MoveNext, cancellationToken).ConfigureAwait(false))
            {
                generated.Add(ids.Current);
                string piece = output.Advance(tokenizer.Decode(generated));
                if (piece.Length > 0) yield return Update(piece);
                if (output.Stopped) break;
            }
            // What was held back at the end (a partial character or a possible stop-sequence start) goes out now.
            string rest = output.Finish();
            if (rest.Length > 0) yield return Update(rest);
            bool stoppedBySequence = output.Stopped;

            // Length when the token budget or the context ran out; Stop for an end-of-sequence token or a stop sequence.
            bool budgetSpent = generated.Count >= generation.MaxNewTokens || promptIds.Length + generated.Count >= model.Config.ContextLength;
            var final = new ChatResponseUpdate(ChatRole.Assistant, new List<AIContent>
            {
                new UsageContent(new UsageDetails
                {
                    InputTokenCount = promptIds.Length, OutputTokenCount = generated.Count, TotalTokenCount = promptIds.Length + generated.Count,
                }),
            })
            {
                FinishReason = !stoppedBySequence && budgetSpent ? ChatFinishReason.Length : ChatFinishReason.Stop,
                ResponseId = responseId, ModelId = modelId, CreatedAt = DateTimeOffset.UtcNow,
                // The token ids the returned text holds (int[], those a stop sequence cut off left out), for callers
                // that score or log them.
                RawRepresentation = generated.Take(output.KeptTokens).ToArray(),
            };
            yield return final;
        }
        finally
        {
            gate.Release();
        }

        ChatResponseUpdate Update(string text) => new(ChatRole.Assistant, text)
        {
            ResponseId = responseId, MessageId = responseId, ModelId = modelId, CreatedAt = DateTimeOffset.UtcNow,
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return metadata;
        if (serviceType == typeof(CausalLM)) return model;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Releases the client's own resources; the model stays with its owner.</summary>
    public void Dispose() => gate.Dispose();

    // The conversation's token ids: the chat format's text (which writes its own BOS) or the plain prompt with BOS as
    // the folder adds it; over-long prompts keep their end so at least one token can be generated.
    private int[] PromptIds(IReadOnlyList<AIChatMessage> messages, ChatOptions? options) =>
        ContextWindow.KeepEnd(EncodeConversation(messages, options), model.Config.ContextLength);

    /// <summary>
    /// The conversation's whole prompt as token ids, as this client writes it for the model (before over-long prompts
    /// are cut to their end): a server counts it to refuse prompts longer than the context before generating.
    /// </summary>
    public int[] EncodeConversation(IReadOnlyList<AIChatMessage> messages, ChatOptions? options = null)
    {
        if (messages.Count == 0) throw new ArgumentException("A conversation needs at least one message.", nameof(messages));
        if (format is ChatFormat chat)
        {
            var converted = messages.Select(m => new ChatTurn(m.Role.Value, m.Text)).ToList();
            string rendered = ChatPrompt.Render(chat, converted, options: RenderOptions(options));
            return tokenizer.Encode(rendered, addBeginningOfSequence: false);
        }
        return tokenizer.Encode(string.Join("\n", messages.Select(m => m.Text)));
    }

    /// <summary>
    /// The <see cref="ChatOptions.AdditionalProperties"/> key that turns a reasoning model's thinking on or off (a bool;
    /// Qwen3 and SmolLM3 think unless it is false), as vLLM's <c>chat_template_kwargs.enable_thinking</c>.
    /// </summary>
    public const string EnableThinkingProperty = "enable_thinking";

    private static ChatRenderOptions? RenderOptions(ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { } properties || !properties.TryGetValue(EnableThinkingProperty, out object? value)) return null;
        return value is bool enable
            ? new ChatRenderOptions { EnableThinking = enable }
            : throw new ArgumentException($"Chat option '{EnableThinkingProperty}' must be true or false; it is '{value}'.", nameof(options));
    }

    private GenerationOptions Merge(ChatOptions? options)
    {
        if (options is null) return defaults;
        var merged = defaults with
        {
            MaxNewTokens = options.MaxOutputTokens ?? defaults.MaxNewTokens,
            Temperature = options.Temperature ?? defaults.Temperature,
            TopP = options.TopP ?? defaults.TopP,
            Seed = options.Seed is long seed ? unchecked((int)seed) : defaults.Seed,
        };
        try
        {
            merged.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"Invalid chat options: {e.Message}", nameof(options), e);
        }
        return merged;
    }
}

/// <summary>Microsoft.Extensions.AI views of Microsoft.ML.Neo models.</summary>
public static class NeoChatClientExtensions
{
    /// <summary>The model as an <see cref="IChatClient"/>; see <see cref="CausalLMChatClient"/>.</summary>
    public static IChatClient AsIChatClient(this CausalLM model, ChatFormat? format = null, string? modelId = null) =>
        new CausalLMChatClient(model, format, modelId);
}
