using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Microsoft.ML.Neo.Server.Endpoints;

/// <summary>
/// <c>POST /v1/chat/completions</c>, streamed as server-sent events when <c>stream</c> is true. The conversation goes
/// through the model's <see cref="CausalLMChatClient"/>, so it is written in the model's chat format, and served and
/// in-process chat give the same text.
/// </summary>
internal static class ChatCompletionsEndpoint
{
    // vLLM's chat_template_kwargs: the chat formats read enable_thinking; any other argument is refused, not ignored.
    private static AdditionalPropertiesDictionary? TemplateArguments(JsonRequest json)
    {
        if (json.Get("chat_template_kwargs") is not { } kwargs || kwargs.ValueKind == JsonValueKind.Null) return null;
        if (kwargs.ValueKind != JsonValueKind.Object)
            throw RequestError.BadRequest("'chat_template_kwargs' must be an object.", "chat_template_kwargs");
        var properties = new AdditionalPropertiesDictionary();
        foreach (var argument in kwargs.EnumerateObject())
        {
            if (argument.Name != CausalLMChatClient.EnableThinkingProperty)
                throw RequestError.BadRequest($"NeoServer's chat formats read only 'enable_thinking' from 'chat_template_kwargs'; " +
                    $"'{argument.Name}' is not supported.", "chat_template_kwargs");
            if (argument.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw RequestError.BadRequest("'chat_template_kwargs.enable_thinking' must be true or false.", "chat_template_kwargs");
            properties[argument.Name] = argument.Value.GetBoolean();
        }
        return properties;
    }

    /// <summary>Most choices one chat request may ask for.</summary>
    public const int MaxChoices = 16;

    public static async Task HandleAsync(HttpContext context, ServedModel model, NeoServerOptions options, ServerStatistics statistics)
    {
        var cancellation = context.RequestAborted;
        var (json, document) = await JsonRequest.ReadAsync(context.Request, cancellation).ConfigureAwait(false);
        List<ChatMessage> messages;
        ChatOptions chatOptions;
        bool stream, includeUsage;
        int? topLogprobs;
        int choices;
        using (document)
        {
            ModelsEndpoint.RequireModel(json, model);
            topLogprobs = json.Bool("logprobs", false) ? json.Int("top_logprobs") ?? 0 : null;
            if (topLogprobs is int k && (k < 0 || k > Math.Min(20, options.MaxLogprobs)))
                throw RequestError.BadRequest($"'top_logprobs' must be between 0 and {Math.Min(20, options.MaxLogprobs)}; it is {k}.", "top_logprobs");
            if (topLogprobs is null && json.Int("top_logprobs") is not null)
                throw RequestError.BadRequest("'top_logprobs' needs 'logprobs': true.", "top_logprobs");
            choices = json.Int("n") ?? 1;
            if (choices is < 1 or > MaxChoices) throw RequestError.BadRequest($"'n' must be between 1 and {MaxChoices}; it is {choices}.", "n");
            messages = Messages(json);
            int maxTokens = json.Int("max_completion_tokens") ?? json.Int("max_tokens") ?? 256;
            if (maxTokens < 1) throw RequestError.BadRequest($"'max_tokens' must be at least 1; it is {maxTokens}.", "max_tokens");
            var sampling = Sampling(json, maxTokens);
            chatOptions = new ChatOptions
            {
                MaxOutputTokens = maxTokens, Temperature = sampling.Temperature, TopP = sampling.TopP, Seed = sampling.Seed,
                StopSequences = json.Strings("stop"),
                AdditionalProperties = TemplateArguments(json),
            };
            int promptTokens = model.Chat.EncodeConversation(messages, chatOptions).Length;
            ModelsEndpoint.RequireFits(promptTokens, 1, model, options);
            chatOptions.MaxOutputTokens = Math.Min(maxTokens, model.ContextLength - promptTokens);
            stream = json.Bool("stream", false);
            if (stream && topLogprobs is not null)
                throw RequestError.BadRequest("NeoServer does not stream logprobs; leave 'stream' false to get them.", "logprobs");
            if (stream && choices > 1)
                throw RequestError.BadRequest("NeoServer streams one choice; leave 'n' at 1, or 'stream' false to get several.", "n");
            includeUsage = json.Get("stream_options") is { ValueKind: JsonValueKind.Object } streamOptions
                && streamOptions.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;
        }

        string id = $"chatcmpl-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var hold = await model.AcquireAsync(cancellation).ConfigureAwait(false);
        if (!stream)
        {
            // n choices, one after another on the held model; choice i samples with the request's seed + i.
            var answers = new List<(string Text, ChatFinishReason? Finish, int[] Generated, PositionLogprobs[]? Scores)>();
            int[] promptIds = model.Chat.EncodeConversation(messages, chatOptions);
            for (int choice = 0; choice < choices; choice++)
            {
                var choiceOptions = chatOptions.Clone();
                choiceOptions.Seed = chatOptions.Seed + choice;
                var text = new System.Text.StringBuilder();
                ChatFinishReason? finishReason = null;
                int[] generated = [];
                await foreach (var update in model.Chat.GetStreamingResponseAsync(messages, choiceOptions, cancellation).ConfigureAwait(false))
                {
                    text.Append(update.Text);
                    finishReason = update.FinishReason ?? finishReason;
                    if (update.RawRepresentation is int[] ids) generated = ids;
                }
                // The model is held (hold): score on it directly, not through RunAsync.
                var scores = topLogprobs is null ? null
                    : await Task.Run(() => model.Model.Score([.. promptIds, .. generated], Math.Max(1, topLogprobs.Value)).Positions, cancellation).ConfigureAwait(false);
                answers.Add((text.ToString(), finishReason, generated, scores));
            }
            var usage = new UsageDetails
            {
                InputTokenCount = promptIds.Length, OutputTokenCount = answers.Sum(a => a.Generated.Length),
                TotalTokenCount = promptIds.Length + answers.Sum(a => a.Generated.Length),
            };
            statistics.AddChat(promptIds.Length, answers.Sum(a => a.Generated.Length));
            context.Response.ContentType = "application/json";
            await using var writer = new Utf8JsonWriter(context.Response.Body);
            writer.WriteStartObject();
            Header(writer, id, "chat.completion", created, model.Id);
            writer.WriteStartArray("choices");
            for (int i = 0; i < answers.Count; i++)
            {
                var answer = answers[i];
                writer.WriteStartObject();
                writer.WriteNumber("index", i);
                writer.WriteStartObject("message");
                writer.WriteString("role", "assistant");
                writer.WriteString("content", answer.Text);
                writer.WriteEndObject();
                if (answer.Scores is null) writer.WriteNull("logprobs");
                else WriteLogprobs(writer, model, promptIds, answer.Generated, answer.Scores, topLogprobs!.Value, answer.Text);
                writer.WriteString("finish_reason", FinishReason(answer.Finish));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            Usage(writer, usage);
            writer.WriteEndObject();
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        bool first = true;
        UsageDetails? finalUsage = null;
        await foreach (var update in model.Chat.GetStreamingResponseAsync(messages, chatOptions, cancellation).ConfigureAwait(false))
        {
            finalUsage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? finalUsage;
            if (update.Text.Length == 0 && update.FinishReason is null && !first) continue;
            await SendAsync(context, writer =>
            {
                writer.WriteStartObject();
                Header(writer, id, "chat.completion.chunk", created, model.Id);
                writer.WriteStartArray("choices");
                writer.WriteStartObject();
                writer.WriteNumber("index", 0);
                writer.WriteStartObject("delta");
                if (first) writer.WriteString("role", "assistant");
                if (update.Text.Length > 0) writer.WriteString("content", update.Text);
                writer.WriteEndObject();
                writer.WriteNull("logprobs");
                if (update.FinishReason is { } reason) writer.WriteString("finish_reason", FinishReason(reason));
                else writer.WriteNull("finish_reason");
                writer.WriteEndObject();
                writer.WriteEndArray();
                writer.WriteEndObject();
            }, cancellation).ConfigureAwait(false);
            first = false;
        }
        statistics.AddChat((int)(finalUsage?.InputTokenCount ?? 0), (int)(finalUsage?.OutputTokenCount ?? 0));
        if (includeUsage)
        {
            await SendAsync(context, writer =>
            {
                writer.WriteStartObject();
                Header(writer, id, "chat.completion.chunk", created, model.Id);
                writer.WriteStartArray("choices");
                writer.WriteEndArray();
                Usage(writer, finalUsage);
                writer.WriteEndObject();
            }, cancellation).ConfigureAwait(false);
        }
        await context.Response.WriteAsync("data: [DONE]\n\n", cancellation).ConfigureAwait(false);
    }

    /// <summary>Sampling settings shared by both endpoints: <c>temperature</c> (default 1, as OpenAI), <c>top_p</c>, <c>seed</c>.</summary>
    public static GenerationOptions Sampling(JsonRequest json, int maxTokens)
    {
        float temperature = json.Float("temperature") ?? 1f;
        float topP = json.Float("top_p") ?? 1f;
        if (!(temperature >= 0) || float.IsInfinity(temperature))
            throw RequestError.BadRequest($"'temperature' must be 0 or more; it is {temperature}.", "temperature");
        if (!(topP > 0 && topP <= 1)) throw RequestError.BadRequest($"'top_p' must be in (0, 1]; it is {topP}.", "top_p");
        long seed = json.Long("seed") ?? Random.Shared.Next();
        return new GenerationOptions { MaxNewTokens = Math.Max(1, maxTokens), Temperature = temperature, TopP = topP, Seed = unchecked((int)seed) };
    }

    private static List<ChatMessage> Messages(JsonRequest json)
    {
        var list = json.Get("messages");
        if (list is not { ValueKind: JsonValueKind.Array } array || array.GetArrayLength() == 0)
            throw RequestError.BadRequest("'messages' is required: a non-empty list of {\"role\", \"content\"} objects.", "messages");
        var messages = new List<ChatMessage>();
        foreach (var message in array.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                throw RequestError.BadRequest("Every message needs a 'role' string.", "messages");
            messages.Add(new ChatMessage(new ChatRole(role.GetString()!), Content(message)));
        }
        return messages;
    }

    // "content" is a string, or a list of parts of which the text parts are read.
    private static string Content(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null) return "";
        if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
        if (content.ValueKind == JsonValueKind.Array)
        {
            return string.Concat(content.EnumerateArray().Select(part =>
                part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var type) && type.GetString() == "text"
                && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
                    ? text.GetString()
                    : throw RequestError.BadRequest("NeoServer reads text content parts only ({\"type\": \"text\", \"text\": ...}).", "messages")));
        }
        throw RequestError.BadRequest("A message's 'content' must be a string or a list of text parts.", "messages");
    }

    // OpenAI's chat logprobs: {"content": [{"token", "logprob", "bytes", "top_logprobs": [{"token", "logprob", "bytes"}]}]},
    // one entry per returned token (the chat client leaves out those a stop sequence cut off). Each token's text is what
    // it adds to the answer as the chat client decodes it, so the tokens join into the returned content.
    private static void WriteLogprobs(Utf8JsonWriter writer, ServedModel model, int[] promptIds, int[] generated,
        PositionLogprobs[] scores, int top, string returned)
    {
        var texts = AnswerPieces(model.Tokenizer, generated, returned);
        writer.WriteStartObject("logprobs");
        writer.WriteStartArray("content");
        for (int t = 0; t < generated.Length; t++)
        {
            var position = scores[promptIds.Length + t - 1]; // the position before token t predicts it
            writer.WriteStartObject();
            WriteToken(texts[t], position.Logprob);
            writer.WriteStartArray("top_logprobs");
            for (int j = 0; j < Math.Min(top, position.TopIds.Length); j++)
            {
                writer.WriteStartObject();
                WriteToken(model.Piece(position.TopIds[j]), position.TopLogprobs[j]);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();

        void WriteToken(string token, float logprob)
        {
            writer.WriteString("token", token);
            writer.WriteNumber("logprob", logprob);
            writer.WriteStartArray("bytes");
            foreach (byte b in System.Text.Encoding.UTF8.GetBytes(token)) writer.WriteNumberValue(b);
            writer.WriteEndArray();
        }
    }

    // What each generated token adds to the returned answer: the growth of the decoded text, cut at the answer's end.
    // A token that ends inside a character adds nothing; the token that completes the character carries it.
    private static string[] AnswerPieces(TokenizerFiles tokenizer, int[] generated, string returned)
    {
        var pieces = new string[generated.Length];
        string previous = "";
        for (int t = 0; t < generated.Length; t++)
        {
            string decoded = t == generated.Length - 1 ? returned : tokenizer.Decode(generated[..(t + 1)]);
            if (decoded.Length > returned.Length) decoded = returned;
            bool last = t == generated.Length - 1;
            bool grows = decoded.StartsWith(previous, StringComparison.Ordinal) && (last || !decoded.EndsWith('\uFFFD'));
            pieces[t] = grows ? decoded[previous.Length..] : "";
            if (grows) previous = decoded;
        }
        return pieces;
    }

    internal static void Header(Utf8JsonWriter writer, string id, string kind, long created, string model)
    {
        writer.WriteString("id", id);
        writer.WriteString("object", kind);
        writer.WriteNumber("created", created);
        writer.WriteString("model", model);
    }

    private static void Usage(Utf8JsonWriter writer, UsageDetails? usage) => Usage(writer, usage?.InputTokenCount ?? 0, usage?.OutputTokenCount ?? 0);

    /// <summary>OpenAI's usage object, for chat and completions alike.</summary>
    internal static void Usage(Utf8JsonWriter writer, long promptTokens, long completionTokens)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", promptTokens);
        writer.WriteNumber("completion_tokens", completionTokens);
        writer.WriteNumber("total_tokens", promptTokens + completionTokens);
        writer.WriteEndObject();
    }

    private static string FinishReason(ChatFinishReason? reason) => reason == ChatFinishReason.Length ? "length" : "stop";

    internal static async Task SendAsync(HttpContext context, Action<Utf8JsonWriter> write, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        await context.Response.WriteAsync("data: ", cancellation).ConfigureAwait(false);
        await context.Response.Body.WriteAsync(buffer.ToArray(), cancellation).ConfigureAwait(false);
        await context.Response.WriteAsync("\n\n", cancellation).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(cancellation).ConfigureAwait(false);
    }
}
