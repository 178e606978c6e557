using System.ClientModel;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Tokenization;
using OpenAI;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers.Served;

/// <summary>
/// A teacher on a server. Scores come from an OpenAI-compatible <c>/v1/completions</c> that returns vLLM's
/// <c>prompt_logprobs</c>: each example's exact teacher token ids go out, the top-K log-probabilities of its response
/// positions come back. Generations come from a chat client (the endpoint's <c>/v1/chat/completions</c>, or any
/// <see cref="IChatClient"/>). It always sits behind a <see cref="CachedTeacher"/>, which keeps every answer.
/// </summary>
internal sealed class ServedTeacher : ITeacher
{
    // Texts whose tokens must agree between the local tokenizer and the server's before logit KD starts.
    private static readonly string[] TokenizerProbes =
    [
        "Hello, world!", "The answer is 42.", "  Two  spaces,\ta tab\nand a new line.", "3 + 4 = 7; 12 * 12 = 144",
        "naïve café, Straße, 東京, emoji 🙂", "<unknown> tokens & symbols: {}[]()#@$%^",
    ];

    private readonly TeacherEndpoint? endpoint;
    private readonly TeacherHttpClient? http;
    private readonly IChatClient? chat;
    private readonly bool ownsChat;
    private readonly TokenizerFiles tokenizer;
    private readonly string modelId;
    private readonly Action<string> warn;
    private readonly int scoreTopK;
    private bool tokenizerChecked;

    private ServedTeacher(TeacherEndpoint? endpoint, TeacherHttpClient? http, IChatClient? chat, bool ownsChat, TokenizerFiles tokenizer,
        string modelId, int contextLength, int scoreTopK, Action<string> warn)
    {
        this.scoreTopK = scoreTopK;
        this.endpoint = endpoint;
        this.http = http;
        this.chat = chat;
        this.ownsChat = ownsChat;
        this.tokenizer = tokenizer;
        this.modelId = modelId;
        this.warn = warn;
        ContextLength = contextLength;
        StopTokenIds = tokenizer.EndOfSequenceId is int eos ? new HashSet<int> { eos } : new HashSet<int>();
        // The cache key follows the served model's name, not the address: a cache outlives a move to another server.
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"served|{modelId}")));
    }

    /// <summary>
    /// Connects: reads the model id and context from <c>/v1/models</c> (unless only a chat client is given), and makes
    /// the endpoint's chat client when <paramref name="chatClient"/> is null.
    /// </summary>
    /// <param name="tokenizer">The served teacher's tokenizer (or the student's, when they share one).</param>
    /// <param name="scoreTopK">How many logprobs per position <see cref="Score"/> asks for (a cache passes its own K to <see cref="ScoreTopK"/>).</param>
    public static ServedTeacher Open(TeacherEndpoint? endpoint, IChatClient? chatClient, TokenizerFiles tokenizer, int fallbackContext,
        int scoreTopK, Action<string> warn, CancellationToken cancellation = default)
    {
        if (endpoint is null)
        {
            var metadata = chatClient!.GetService<ChatClientMetadata>();
            string id = metadata?.DefaultModelId ?? metadata?.ProviderName ?? "chat-client";
            return new ServedTeacher(null, null, chatClient, ownsChat: false, tokenizer, id, fallbackContext, scoreTopK, warn);
        }
        var http = new TeacherHttpClient(endpoint);
        try
        {
            var (model, context) = Describe(endpoint, http, cancellation);
            var chat = chatClient;
            if (chat is null)
            {
                var options = new OpenAIClientOptions { Endpoint = new Uri(endpoint.Root, "v1"), NetworkTimeout = endpoint.Timeout };
                var client = new OpenAIClient(new ApiKeyCredential(endpoint.ReadApiKey() ?? "no-key"), options);
                chat = client.GetChatClient(model).AsIChatClient();
            }
            return new ServedTeacher(endpoint, http, chat, ownsChat: chatClient is null, tokenizer, model, context ?? fallbackContext, scoreTopK, warn);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    // The served model's id (the one asked for, which must be listed, or the first) and its context length if given.
    private static (string Model, int? Context) Describe(TeacherEndpoint endpoint, TeacherHttpClient http, CancellationToken cancellation)
    {
        using var models = http.SendAsync("v1/models", null, cancellation).GetAwaiter().GetResult();
        var listed = models.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
            ? data.EnumerateArray().Where(m => m.TryGetProperty("id", out _)).ToList()
            : throw new TeacherServerException($"The teacher server at {http.Address} answered /v1/models without a 'data' list; is it an OpenAI-compatible server?");
        var ids = listed.Select(m => m.GetProperty("id").GetString() ?? "").ToList();
        if (listed.Count == 0) throw new TeacherServerException($"The teacher server at {http.Address} serves no model (/v1/models is empty).");
        int index = endpoint.Model is null ? 0 : ids.IndexOf(endpoint.Model);
        if (index < 0)
            throw new TeacherServerException($"The teacher server at {http.Address} has no model '{endpoint.Model}'; it serves {string.Join(", ", ids.Select(i => $"'{i}'"))}. Set TeacherEndpoint.Model to one of them.");
        int? context = listed[index].TryGetProperty("max_model_len", out var length) && length.TryGetInt32(out int value) ? value : null;
        return (ids[index], context);
    }

    public string Fingerprint { get; }

    public int ContextLength { get; }

    public IReadOnlySet<int> StopTokenIds { get; }

    public string? CacheSummary => null;

    /// <summary>The teacher's response to the prompt, as the chat client writes it, in the local tokenizer's ids.</summary>
    public int[] Generate(int[] promptIds, int maxNewTokens, IReadOnlyCollection<int> stopIds)
    {
        if (chat is null) throw new InvalidOperationException("This served teacher has no chat client to write responses.");
        int start = tokenizer.BeginningOfSequenceId is int bos && promptIds.Length > 0 && promptIds[0] == bos ? 1 : 0;
        string prompt = tokenizer.Decode(promptIds[start..]);
        var options = new ChatOptions { MaxOutputTokens = maxNewTokens, Temperature = 0, ModelId = endpoint is null ? null : modelId };
        ChatResponse response;
        try
        {
            response = chat.GetResponseAsync(new[] { new ChatMessage(ChatRole.User, prompt) }, options).GetAwaiter().GetResult();
        }
        catch (ClientResultException e)
        {
            string message = http?.Scrub(e.Message) ?? e.Message;
            throw new TeacherServerException($"The teacher's chat client failed (HTTP {e.Status}): {message}", e.Status == 0 ? null : e.Status);
        }
        var ids = tokenizer.Encode(response.Text, addBeginningOfSequence: false);
        return ids.Length > maxNewTokens ? ids[..maxNewTokens] : ids;
    }

    public TeacherBatchScores Score(TokenBatch batch, int vocabulary) =>
        TopKScoring.AsBatchScores(this, batch, vocabulary, Math.Min(scoreTopK, vocabulary));

    public void ScoreTopK(IReadOnlyList<EncodedExample> examples, int vocabulary, int topK, int padId, Action<EncodedExample, int[], float[]> store)
    {
        if (http is null || endpoint is null)
            throw new InvalidOperationException("A chat-client teacher gives no logits: logit KD needs a TeacherEndpoint whose server returns prompt_logprobs.");
        CheckTokenizer(examples);
        var gate = new object();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = endpoint.MaxConcurrency };
        var requests = Parallel.ForEachAsync(examples, parallel, async (example, cancellation) =>
        {
            var (ids, logprobs) = await RequestAsync(example, vocabulary, topK, cancellation).ConfigureAwait(false);
            lock (gate) store(example, ids, logprobs);
        });
        try
        {
            requests.Wait();
        }
        catch (AggregateException e)
        {
            // The first real failure, not the cancellations it caused in the requests beside it.
            var failures = e.Flatten().InnerExceptions;
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(
                failures.FirstOrDefault(f => f is not OperationCanceledException) ?? failures[0]).Throw();
        }
    }

    // One example: its teacher sequence as token ids, prompt_logprobs = K, one greedy token; the response positions' top K back.
    private async Task<(int[] Ids, float[] Logprobs)> RequestAsync(EncodedExample example, int vocabulary, int topK, CancellationToken cancellation)
    {
        var view = example.TeacherView;
        var body = new Dictionary<string, object>
        {
            ["model"] = modelId, ["prompt"] = view.TokenIds, ["max_tokens"] = 1, ["temperature"] = 0, ["prompt_logprobs"] = topK,
        };
        using var answer = await http!.SendAsync("v1/completions", body, cancellation, (status, message) => Explain(status, message, topK)).ConfigureAwait(false);
        var positions = PromptLogprobs(answer.RootElement, view.TokenIds.Length);
        int count = view.TokenIds.Length - view.ResponseStart;
        var ids = new int[count * topK];
        var logprobs = new float[count * topK];
        for (int p = 0; p < count; p++)
        {
            int t = view.ResponseStart + p;
            var entries = positions[t];
            if (entries.ValueKind != JsonValueKind.Object)
                throw new TeacherServerException($"The teacher server gave no logprobs for prompt position {t}. vLLM skips positions served from its prefix cache: start it with --no-enable-prefix-caching.");
            var best = entries.EnumerateObject().Select(e => (Id: ParseId(e.Name), Logprob: Logprob(e.Value)))
                .OrderByDescending(e => e.Logprob).ThenBy(e => e.Id).Take(topK).ToList();
            if (best.Count < topK)
                throw new TeacherServerException($"The teacher server returned {best.Count} logprobs at prompt position {t}; TeacherScoreTopK asks for {topK}. " + CapAdvice(topK));
            for (int j = 0; j < topK; j++)
            {
                if (best[j].Id < 0 || best[j].Id >= vocabulary)
                    throw new TeacherServerException($"The teacher server returned token id {best[j].Id}, outside the student's vocabulary of {vocabulary}; teacher and student must share one tokenizer.");
                ids[p * topK + j] = best[j].Id;
                logprobs[p * topK + j] = best[j].Logprob;
            }
        }
        return (ids, logprobs);
    }

    // choices[0].prompt_logprobs: one entry per prompt token, the first null.
    private static List<JsonElement> PromptLogprobs(JsonElement root, int sent)
    {
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            throw new TeacherServerException("The teacher server's completion has no 'choices'; is it an OpenAI-compatible /v1/completions?");
        if (!choices[0].TryGetProperty("prompt_logprobs", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new TeacherServerException("The teacher server's completion has no choices[0].prompt_logprobs, so it cannot score a given text. vLLM and " +
                "NeoServer return them; Ollama, TGI and hosted OpenAI-style APIs return logprobs of generated tokens only. Logit KD needs them: use such a " +
                "server for sequence-level KD (Mode = Sequence, KdWeight = 0) instead.");
        var positions = list.EnumerateArray().ToList();
        if (positions.Count != sent)
            throw new TeacherServerException($"The teacher server returned prompt logprobs for {positions.Count} tokens; NeoDistill sent {sent} token ids. " +
                "The server must read a token-id prompt as given (without adding or merging tokens).");
        return positions;
    }

    private static int ParseId(string name) => int.TryParse(name, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int id)
        ? id : throw new TeacherServerException($"The teacher server keyed a prompt logprob by '{name}', not by a token id as vLLM does.");

    private static float Logprob(JsonElement entry) => entry.ValueKind switch
    {
        JsonValueKind.Object when entry.TryGetProperty("logprob", out var value) && value.ValueKind == JsonValueKind.Number => value.GetSingle(),
        JsonValueKind.Number => entry.GetSingle(),
        _ => throw new TeacherServerException("A prompt logprob entry of the teacher server has no numeric 'logprob'."),
    };

    private TeacherServerException? Explain(int status, string message, int topK)
    {
        if (status == 400 && message.Contains("logprobs", StringComparison.OrdinalIgnoreCase) && message.Contains("max", StringComparison.OrdinalIgnoreCase))
            return new TeacherServerException($"The teacher server caps logprobs below TeacherScoreTopK = {topK} (HTTP 400: {message}). {CapAdvice(topK)}", status);
        return null;
    }

    private static string CapAdvice(int topK) =>
        $"Start vLLM with --max-logprobs {topK} (its default is 20; -1 removes the cap) or neo serve with --max-logprobs {topK}, or lower TeacherScoreTopK.";

    // Logit KD pairs ids across the wire: the local tokenizer must split text as the server's does.
    private void CheckTokenizer(IReadOnlyList<EncodedExample> examples)
    {
        if (tokenizerChecked) return;
        var texts = TokenizerProbes.Concat(examples.Take(3).Select(e => tokenizer.Decode(e.TeacherView.TokenIds.Skip(e.TeacherView.ResponseStart))));
        foreach (var text in texts)
        {
            var local = tokenizer.Encode(text, addBeginningOfSequence: false);
            JsonDocument answer;
            try
            {
                answer = http!.SendAsync("tokenize", new Dictionary<string, object> { ["model"] = modelId, ["prompt"] = text, ["add_special_tokens"] = false },
                    CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (TeacherServerException e) when (e.StatusCode is 404 or 405)
            {
                warn($"The teacher server at {http!.Address} has no /tokenize (vLLM and NeoServer have one), so its tokenizer was not compared with " +
                    "the local one; make sure TeacherEndpoint.TokenizerPath holds the served model's tokenizer files.");
                break;
            }
            using (answer)
            {
                var served = answer.RootElement.TryGetProperty("tokens", out var tokens) && tokens.ValueKind == JsonValueKind.Array
                    ? tokens.EnumerateArray().Select(t => t.GetInt32()).ToArray()
                    : throw new TeacherServerException("The teacher server's /tokenize answer has no 'tokens' list.");
                if (!served.SequenceEqual(local))
                {
                    int at = Enumerable.Range(0, Math.Min(served.Length, local.Length)).FirstOrDefault(i => served[i] != local[i], Math.Min(served.Length, local.Length));
                    throw new InvalidDataException($"The served teacher's tokenizer disagrees with the local one ({tokenizer.Kind}, {tokenizer.VocabularySize} ids) on " +
                        $"\"{text}\": from token {at} the server has [{string.Join(", ", served.Skip(at).Take(5))}], the local one [{string.Join(", ", local.Skip(at).Take(5))}]. " +
                        "Logit KD needs one shared tokenizer: point TeacherEndpoint.TokenizerPath at the served model's tokenizer files.");
                }
            }
        }
        tokenizerChecked = true;
    }

    public void PrepareScores(IReadOnlyList<EncodedExample> examples, int vocabulary, int padId, Action<string> log)
    {
        // The cache in front of this teacher does the work ahead of training.
    }

    public override string ToString() => endpoint is null ? $"chat-client teacher '{modelId}'" : $"served teacher '{modelId}' at {http!.Address}";

    public void Dispose()
    {
        http?.Dispose();
        if (ownsChat) chat?.Dispose();
    }
}
