using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.ML.Neo.Generation;

namespace Microsoft.ML.Neo.Server.Endpoints;

/// <summary>
/// <c>POST /v1/completions</c>, as vLLM defines it: a prompt as text or token ids (or a list of them), <c>n</c> choices
/// per prompt, <c>max_tokens</c>, sampling settings, <c>stop</c>, <c>echo</c>, <c>logprobs</c> (top ids of each returned
/// token) and <c>prompt_logprobs</c> (top ids at every prompt position, plus the prompt token itself: what logit
/// distillation from a served teacher reads), and <c>stream</c> (server-sent events) for one prompt. Completions of
/// concurrent requests (and of one request's prompts and choices) are decoded together in batches (<see cref="GenerationQueue"/>).
/// </summary>
internal static class CompletionsEndpoint
{
    // PromptLogprobs is how many top ids the prompt is scored at (echo with logprobs scores it too); the two flags say
    // what the answer carries: prompt_logprobs only when asked for, prompt_token_ids with them or with return_token_ids.
    private sealed record Request(int[] PromptIds, int MaxTokens, GenerationOptions Sampling, List<string> Stops,
        bool Echo, int? Logprobs, int? PromptLogprobs, bool ReturnsPromptLogprobs, bool ReturnsTokenIds);

    private sealed record Result(int[] Generated, string Text, bool Stopped, PositionLogprobs[]? Scores);

    /// <summary>Most choices one request may ask for (prompts × n).</summary>
    public const int MaxChoices = 128;

    public static async Task HandleAsync(HttpContext context, ServedModel model, NeoServerOptions options, ServerStatistics statistics)
    {
        var cancellation = context.RequestAborted;
        var (json, document) = await JsonRequest.ReadAsync(context.Request, cancellation).ConfigureAwait(false);
        List<Request> choices;
        bool stream, includeUsage;
        using (document)
        {
            choices = Parse(json, model, options);
            stream = json.Bool("stream", false);
            includeUsage = json.Get("stream_options") is { ValueKind: JsonValueKind.Object } streamOptions
                && streamOptions.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;
        }
        if (stream)
        {
            await StreamAsync(context, model, choices[0], includeUsage, statistics, cancellation).ConfigureAwait(false);
            return;
        }
        var results = await Task.WhenAll(choices.Select(request => ResultAsync(model, request, cancellation))).ConfigureAwait(false);
        // Each prompt's tokens count once, however many choices it has.
        var prompts = choices.Select(c => c.PromptIds).Distinct().ToList();
        statistics.AddCompletion(prompts.Sum(p => p.Length), results.Sum(r => r.Generated.Length));
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        Write(writer, model, choices, results, prompts.Sum(p => p.Length));
    }

    // A scoring request joins the scoring queue; a completion without stop strings, the generation queue; a completion
    // with stop strings decodes alone, as it checks the text after every token.
    private static async Task<Result> ResultAsync(ServedModel model, Request request, CancellationToken cancellation)
    {
        if (IsScoring(request))
            return Scored(model, request, await model.Scoring.ScoreAsync(request.PromptIds, TopK(request), cancellation).ConfigureAwait(false));
        if (request.Stops.Count > 0 || request.MaxTokens == 0)
            return await model.RunAsync(() => Complete(model, request, cancellation), cancellation).ConfigureAwait(false);
        var generated = await model.Generation.GenerateAsync(request.PromptIds, request.Sampling, cancellation).ConfigureAwait(false);
        bool scores = request.Logprobs is not null || request.PromptLogprobs is not null;
        var positions = scores
            ? await model.RunAsync(() => model.Model.Score([.. request.PromptIds, .. generated], TopK(request)).Positions, cancellation).ConfigureAwait(false)
            : null;
        return new Result(generated, model.ContinuationText(request.PromptIds, generated), generated.Length < request.MaxTokens, positions);
    }

    // Server-sent events, as OpenAI streams completions: a chunk per new piece of text, a last chunk with the finish
    // reason, the usage when asked for, then [DONE]. Stop strings end the text where they start.
    private static async Task StreamAsync(HttpContext context, ServedModel model, Request request, bool includeUsage,
        ServerStatistics statistics, CancellationToken cancellation)
    {
        string id = $"cmpl-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Task Chunk(string text, string? finish) => ChatCompletionsEndpoint.SendAsync(context, writer =>
        {
            writer.WriteStartObject();
            ChatCompletionsEndpoint.Header(writer, id, "text_completion", created, model.Id);
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteString("text", text);
            writer.WriteNull("logprobs");
            if (finish is null) writer.WriteNull("finish_reason");
            else writer.WriteString("finish_reason", finish);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }, cancellation);

        using var hold = await model.AcquireAsync(cancellation).ConfigureAwait(false);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var generated = new List<int>();
        var output = new StopSequenceStream(request.Stops);
        // The tokens come from the model on this request's thread, one at a time, between awaits that send them.
        using var tokens = model.Model.GenerateTokens(request.PromptIds, request.Sampling, cancellation).GetEnumerator();
        while (await Task.Run(tokens.MoveNext, cancellation).ConfigureAwait(false))
        {
            generated.Add(tokens.Current);
            string piece = output.Advance(model.ContinuationText(request.PromptIds, generated));
            if (piece.Length > 0) await Chunk(piece, null).ConfigureAwait(false);
            if (output.Stopped) break;
        }
        await Chunk(output.Finish(), output.Stopped || generated.Count < request.MaxTokens ? "stop" : "length").ConfigureAwait(false);
        statistics.AddCompletion(request.PromptIds.Length, generated.Count);
        if (includeUsage)
        {
            await ChatCompletionsEndpoint.SendAsync(context, writer =>
            {
                writer.WriteStartObject();
                ChatCompletionsEndpoint.Header(writer, id, "text_completion", created, model.Id);
                writer.WriteStartArray("choices");
                writer.WriteEndArray();
                ChatCompletionsEndpoint.Usage(writer, request.PromptIds.Length, generated.Count);
                writer.WriteEndObject();
            }, cancellation).ConfigureAwait(false);
        }
        await context.Response.WriteAsync("data: [DONE]\n\n", cancellation).ConfigureAwait(false);
    }

    // One request per choice: every prompt, n times (choice i of a prompt samples with the request's seed + i).
    private static List<Request> Parse(JsonRequest json, ServedModel model, NeoServerOptions options)
    {
        ModelsEndpoint.RequireModel(json, model);
        int n = json.Int("n") ?? 1;
        if (n < 1) throw RequestError.BadRequest($"'n' must be at least 1; it is {n}.", "n");
        var prompts = Prompts(json, model);
        if (json.Bool("stream", false))
        {
            // What a stream carries here: one prompt's text as it is generated. The rest is refused, not ignored.
            if (prompts.Count > 1 || n > 1)
                throw RequestError.BadRequest("NeoServer streams one prompt with n = 1; send the prompts as separate requests, or leave 'stream' false.", "stream");
            if (json.Bool("echo", false) || json.Int("logprobs") is not null || json.Int("prompt_logprobs") is not null)
                throw RequestError.BadRequest("NeoServer does not stream 'echo', 'logprobs' or 'prompt_logprobs'; leave 'stream' false to get them.", "stream");
        }
        if (prompts.Count * n > MaxChoices)
            throw RequestError.BadRequest($"{prompts.Count} prompts × n = {n} asks for {prompts.Count * n} choices; NeoServer answers at most {MaxChoices} per request.", "n");
        var choices = new List<Request>(prompts.Count * n);
        foreach (var promptIds in prompts)
        {
            var request = Parse(json, model, options, promptIds);
            for (int i = 0; i < n; i++) choices.Add(request with { Sampling = request.Sampling with { Seed = unchecked(request.Sampling.Seed + i) } });
        }
        return choices;
    }

    private static Request Parse(JsonRequest json, ServedModel model, NeoServerOptions options, int[] promptIds)
    {
        bool echo = json.Bool("echo", false);
        int maxTokens = json.Int("max_tokens") ?? 16;
        if (maxTokens < 0 || (maxTokens == 0 && !echo))
            throw RequestError.BadRequest($"'max_tokens' must be at least 1 (0 only with echo); it is {maxTokens}.", "max_tokens");
        int? logprobs = json.Int("logprobs"), promptLogprobsAsked = json.Int("prompt_logprobs");
        int? promptLogprobs = promptLogprobsAsked ?? (echo ? logprobs : null); // vLLM: echo scores the prompt at 'logprobs'
        RequireLogprobs(logprobs, "logprobs", "sample", options.MaxLogprobs);
        RequireLogprobs(promptLogprobs, "prompt_logprobs", "prompt", options.MaxLogprobs);
        var sampling = ChatCompletionsEndpoint.Sampling(json, maxTokens);
        ModelsEndpoint.RequireFits(promptIds.Length, maxTokens, model, options);
        return new Request(promptIds, maxTokens, sampling, json.Strings("stop"), echo, logprobs, promptLogprobs,
            ReturnsPromptLogprobs: promptLogprobsAsked is not null, ReturnsTokenIds: promptLogprobsAsked is not null || json.Bool("return_token_ids", false));
    }

    // The prompts: a string, a list of token ids, or a list of either (one choice set per prompt, in order).
    private static List<int[]> Prompts(JsonRequest json, ServedModel model)
    {
        var prompt = json.Get("prompt") ?? throw RequestError.BadRequest("'prompt' is required: a string or a list of token ids.", "prompt");
        if (prompt.ValueKind == JsonValueKind.Array && prompt.GetArrayLength() > 0 && prompt.EnumerateArray().All(e => e.ValueKind is JsonValueKind.String or JsonValueKind.Array))
            return prompt.EnumerateArray().Select(p => Prompt(p, model)).ToList();
        return [Prompt(prompt, model)];
    }

    private static int[] Prompt(JsonElement prompt, ServedModel model)
    {
        if (prompt.ValueKind == JsonValueKind.String)
        {
            var ids = model.Tokenizer.Encode(prompt.GetString()!);
            if (ids.Length == 0) throw RequestError.BadRequest("'prompt' encodes to no tokens.", "prompt");
            return ids;
        }
        if (prompt.ValueKind == JsonValueKind.Array && prompt.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number))
        {
            var ids = new int[prompt.GetArrayLength()];
            int i = 0;
            foreach (var element in prompt.EnumerateArray())
            {
                if (!element.TryGetInt32(out int id) || id < 0 || id >= model.VocabularySize)
                    throw RequestError.BadRequest($"Token id {element} at prompt position {i} is outside the vocabulary [0, {model.VocabularySize}).", "prompt");
                ids[i++] = id;
            }
            if (ids.Length == 0) throw RequestError.BadRequest("'prompt' is an empty list of token ids.", "prompt");
            return ids;
        }
        throw RequestError.BadRequest("'prompt' must be a string, a list of token ids, or a list of those.", "prompt");
    }

    private static void RequireLogprobs(int? requested, string name, string kind, int max)
    {
        if (requested is not int value) return;
        if (value < 0) throw RequestError.BadRequest($"'{name}' must be 0 or more; it is {value}.", name);
        if (value > max)
            throw RequestError.BadRequest($"Requested {kind} logprobs of {value}, which is greater than max allowed: {max}. " +
                "Start the server with a higher limit (neo serve --max-logprobs, NeoServerOptions.MaxLogprobs).", name);
    }

    // Logprobs of a prompt and at most one greedy token: one forward pass, shared with other such requests.
    private static bool IsScoring(Request request) =>
        (request.Logprobs is not null || request.PromptLogprobs is not null) && request.MaxTokens <= 1 && request.Sampling.Temperature == 0;

    private static int TopK(Request request) => Math.Max(request.Logprobs ?? 0, request.PromptLogprobs ?? 0);

    // The scoring pass's last row picks the greedy token.
    private static Result Scored(ServedModel served, Request request, SequenceScores scored)
    {
        var generated = new List<int>();
        bool stopped = false;
        if (request.MaxTokens == 1)
        {
            int id = Array.IndexOf(scored.NextLogits, scored.NextLogits.Max());
            if (served.Model.StopTokenIds.Contains(id)) stopped = true;
            else generated.Add(id);
        }
        var (text, cut) = StopSequenceStream.Cut(served.ContinuationText(request.PromptIds, generated), request.Stops);
        if (generated.Count == 1 && request.Logprobs is not null)
        {
            // The generated token's own logprobs: log-softmax of the last row.
            double max = scored.NextLogits.Max(), sum = scored.NextLogits.Sum(x => Math.Exp(x - max));
            var logprobs = scored.NextLogits.Select(x => (float)(x - max - Math.Log(sum))).ToArray();
            var order = Enumerable.Range(0, logprobs.Length).OrderByDescending(i => logprobs[i]).Take(TopK(request)).ToArray();
            var last = new PositionLogprobs(generated[0], logprobs[generated[0]], 1, order, order.Select(i => logprobs[i]).ToArray());
            return new Result(generated.ToArray(), text, stopped || cut, [.. scored.Positions, last]);
        }
        return new Result(generated.ToArray(), text, stopped || cut, scored.Positions);
    }

    private static Result Complete(ServedModel served, Request request, CancellationToken cancellation)
    {
        var model = served.Model;
        var generated = new List<int>();
        // The same text, checked after every token, as a streamed answer sends.
        var output = new StopSequenceStream(request.Stops);
        if (request.MaxTokens > 0)
        {
            foreach (int id in model.GenerateTokens(request.PromptIds, request.Sampling, cancellation))
            {
                generated.Add(id);
                output.Advance(served.ContinuationText(request.PromptIds, generated));
                if (output.Stopped) break;
            }
        }
        bool stopped = generated.Count < request.MaxTokens;
        string text = output.Text;
        bool cut = output.Stopped;
        bool scores = request.Logprobs is not null || request.PromptLogprobs is not null;
        var positions = scores ? model.Score([.. request.PromptIds, .. generated], TopK(request)).Positions : null;
        return new Result(generated.ToArray(), text, stopped || cut, positions);
    }

    private static void Write(Utf8JsonWriter writer, ServedModel model, IReadOnlyList<Request> requests, IReadOnlyList<Result> results, int promptTokens)
    {
        writer.WriteStartObject();
        writer.WriteString("id", $"cmpl-{Guid.NewGuid():N}");
        writer.WriteString("object", "text_completion");
        writer.WriteNumber("created", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        writer.WriteString("model", model.Id);
        writer.WriteStartArray("choices");
        for (int i = 0; i < requests.Count; i++) WriteChoice(writer, model, i, requests[i], results[i]);
        writer.WriteEndArray();
        ChatCompletionsEndpoint.Usage(writer, promptTokens, results.Sum(r => r.Generated.Length));
        writer.WriteEndObject();
    }

    private static void WriteChoice(Utf8JsonWriter writer, ServedModel model, int index, Request request, Result result)
    {
        writer.WriteStartObject();
        writer.WriteNumber("index", index);
        // Each token's text in the sequence, decoded once: echo writes the prompt as its tokens decode (what text_offset
        // counts in), and logprobs.tokens joins into the returned text.
        var texts = request.Echo || request.Logprobs is not null ? model.TokenTexts([.. request.PromptIds, .. result.Generated]) : null;
        writer.WriteString("text", request.Echo ? string.Concat(texts!.Take(request.PromptIds.Length)) + result.Text : result.Text);
        writer.WritePropertyName("logprobs");
        if (request.Logprobs is int k) WriteTokenLogprobs(writer, model, request, result, texts!, k);
        else writer.WriteNullValue();
        writer.WriteString("finish_reason", result.Stopped ? "stop" : "length");
        writer.WritePropertyName("prompt_logprobs");
        if (request is { ReturnsPromptLogprobs: true, PromptLogprobs: int promptK }) WritePromptLogprobs(writer, model, request.PromptIds.Length, result.Scores!, promptK);
        else writer.WriteNullValue();
        writer.WritePropertyName("prompt_token_ids");
        if (request.ReturnsTokenIds)
        {
            writer.WriteStartArray();
            foreach (int id in request.PromptIds) writer.WriteNumberValue(id);
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteNullValue();
        }
        writer.WriteEndObject();
    }

    // vLLM's prompt_logprobs: null for the first token, then per token {"id": {logprob, rank, decoded_token}} over the
    // top K and the token itself.
    private static void WritePromptLogprobs(Utf8JsonWriter writer, ServedModel model, int promptLength, PositionLogprobs[] scores, int k)
    {
        writer.WriteStartArray();
        writer.WriteNullValue();
        for (int t = 0; t < promptLength - 1; t++)
        {
            var position = scores[t];
            writer.WriteStartObject();
            bool tokenListed = false;
            for (int j = 0; j < Math.Min(k, position.TopIds.Length); j++)
            {
                WriteEntry(position.TopIds[j], position.TopLogprobs[j], j + 1);
                tokenListed |= position.TopIds[j] == position.TokenId;
            }
            if (!tokenListed) WriteEntry(position.TokenId, position.Logprob, position.Rank);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();

        void WriteEntry(int id, float logprob, int rank)
        {
            writer.WriteStartObject(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteNumber("logprob", logprob);
            writer.WriteNumber("rank", rank);
            writer.WriteString("decoded_token", model.Piece(id));
            writer.WriteEndObject();
        }
    }

    // The OpenAI completions logprobs object over the returned tokens (with echo, the prompt's first).
    /// <param name="texts">Each token's text in the whole sequence, prompt then completion.</param>
    private static void WriteTokenLogprobs(Utf8JsonWriter writer, ServedModel model, Request request, Result result, string[] texts, int k)
    {
        int promptLength = request.PromptIds.Length;
        var tokens = (request.Echo ? request.PromptIds : Array.Empty<int>()).Concat(result.Generated).ToArray();
        int first = request.Echo ? 0 : promptLength; // absolute index of tokens[0]
        var tokenTexts = texts.Skip(first).ToArray();
        writer.WriteStartObject();
        writer.WriteStartArray("tokens");
        foreach (string text in tokenTexts) writer.WriteStringValue(text);
        writer.WriteEndArray();
        writer.WriteStartArray("token_logprobs");
        for (int i = 0; i < tokens.Length; i++)
        {
            int absolute = first + i;
            if (absolute == 0) writer.WriteNullValue();
            else writer.WriteNumberValue(result.Scores![absolute - 1].Logprob);
        }
        writer.WriteEndArray();
        writer.WriteStartArray("top_logprobs");
        for (int i = 0; i < tokens.Length; i++)
        {
            int absolute = first + i;
            if (absolute == 0)
            {
                writer.WriteNullValue();
                continue;
            }
            var position = result.Scores![absolute - 1];
            writer.WriteStartObject();
            for (int j = 0; j < Math.Min(k, position.TopIds.Length); j++) writer.WriteNumber(model.Piece(position.TopIds[j]), position.TopLogprobs[j]);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartArray("text_offset");
        int offset = request.Echo ? 0 : texts.Take(promptLength).Sum(t => t.Length);
        foreach (string text in tokenTexts)
        {
            writer.WriteNumberValue(offset);
            offset += text.Length;
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
