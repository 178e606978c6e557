using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Server;

namespace Microsoft.ML.Neo.Tests.Server;

/// <summary>NeoServer over real loopback HTTP: what it returns equals the model run in this process.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class NeoServerTests
{
    internal static async Task<(NeoServer Server, HttpClient Http)> Start(string modelPath, Action<NeoServerOptions>? configure = null)
    {
        var options = new NeoServerOptions { ModelPath = modelPath, Port = 0, ModelId = "tiny" };
        configure?.Invoke(options);
        var server = await NeoServer.StartAsync(options);
        return (server, new HttpClient { BaseAddress = server.BaseAddress });
    }

    internal static async Task<JsonElement> Post(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [TestMethod]
    public async Task ModelsAndTokenizeDescribeTheServedModel()
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(context: 96), seed: 3);
        var (server, http) = await Start(path);
        await using var _ = server;
        using var __ = http;
        Assert.IsTrue(server.BaseAddress.Host is "127.0.0.1", "loopback by default");

        var models = JsonDocument.Parse(await http.GetStringAsync("v1/models")).RootElement;
        Assert.AreEqual("tiny", models.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.AreEqual(96, models.GetProperty("data")[0].GetProperty("max_model_len").GetInt32());

        using var model = CausalLM.FromPretrained(path);
        foreach (bool special in new[] { true, false })
        {
            var tokenized = await Post(http, "tokenize", new { prompt = "Tom has 3 apples.", add_special_tokens = special });
            CollectionAssert.AreEqual(model.TokenizerFiles!.Encode("Tom has 3 apples.", special),
                tokenized.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray());
        }
    }

    [TestMethod]
    public async Task PromptLogprobsAreTheModelsLogSoftmax()
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(), seed: 4);
        var (server, http) = await Start(path, o => o.MaxLogprobs = 5);
        await using var _ = server;
        using var __ = http;
        using var model = CausalLM.FromPretrained(path);
        int[] ids = model.TokenizerFiles!.Encode("Ann had 7 pens and gave 2 away.");

        var answer = await Post(http, "v1/completions", new { model = "tiny", prompt = ids, max_tokens = 1, temperature = 0, prompt_logprobs = 5 });
        var choice = answer.GetProperty("choices")[0];
        var positions = choice.GetProperty("prompt_logprobs").EnumerateArray().ToList();
        Assert.AreEqual(ids.Length, positions.Count);
        Assert.AreEqual(JsonValueKind.Null, positions[0].ValueKind, "the first token has no context");

        var logits = model.Logits(ids);
        int vocab = model.Config.VocabSize;
        for (int t = 1; t < ids.Length; t++)
        {
            var row = Enumerable.Range(0, vocab).Select(v => (double)logits[t - 1, v]).ToArray();
            double max = row.Max(), logSum = max + Math.Log(row.Sum(x => Math.Exp(x - max)));
            var expected = row.Select((x, v) => (Id: v, Logprob: x - logSum)).OrderByDescending(e => e.Logprob).ToList();
            var entries = positions[t].EnumerateObject().ToDictionary(e => int.Parse(e.Name), e => e.Value);
            foreach (var (id, logprob) in expected.Take(5))
                Assert.AreEqual(logprob, entries[id].GetProperty("logprob").GetDouble(), 1e-4, $"position {t}, id {id}");
            // The prompt token itself is always listed, with its rank.
            var own = entries[ids[t]];
            Assert.AreEqual(expected.FindIndex(e => e.Id == ids[t]) + 1, own.GetProperty("rank").GetInt32());
            Assert.IsTrue(entries.Count is 5 or 6);
        }
        // The one greedy token is the model's argmax after the prompt.
        int next = Enumerable.Range(0, vocab).MaxBy(v => logits[ids.Length - 1, v]);
        // ... and its text is what it adds to the prompt's text (its leading space included, as vLLM returns it).
        string promptText = model.TokenizerFiles.Decode(ids.Skip(1));
        Assert.AreEqual(model.TokenizerFiles.Decode(ids.Skip(1).Append(next))[promptText.Length..], choice.GetProperty("text").GetString());
    }

    [TestMethod]
    [DataRow("llama")]
    [DataRow("qwen3")]
    [DataRow("gemma3_text")]
    [DataRow("phi3")]
    [DataRow("smollm3")]
    public async Task GreedyCompletionsAndChatEqualGenerateInProcess(string family)
    {
        using var folder = new TempDirectory();
        // SmolLM3's chat prompt opens with a system block of about 1,200 tokens (with the embedded tokenizer).
        string path = TinyCheckpoints.Create(folder.Sub("model"),
            TinyCheckpoints.AsFamily(TinyCheckpoints.Config(context: family == "smollm3" ? 2048 : 128), family), seed: 5);
        var (server, http) = await Start(path);
        await using var _ = server;
        using var __ = http;
        using var model = CausalLM.FromPretrained(path);
        const string prompt = "Sam buys 4 books.";

        var completion = await Post(http, "v1/completions", new { prompt, max_tokens = 12, temperature = 0, echo = true, logprobs = 2 });
        var choice = completion.GetProperty("choices")[0];
        // The completion continues the prompt's text, spaces included: the whole sequence decoded (BOS left out).
        var promptIds = model.TokenizerFiles!.Encode(prompt);
        var generatedIds = model.Generate(promptIds, new GenerationOptions { MaxNewTokens = 12 });
        string text = choice.GetProperty("text").GetString()!;
        Assert.AreEqual(model.TokenizerFiles.Decode(promptIds.Skip(1).Concat(generatedIds)), text);
        StringAssert.StartsWith(text, prompt);
        // OpenAI clients rebuild text from the tokens and their offsets: both must agree with it.
        var logprobs = choice.GetProperty("logprobs");
        var tokenTexts = logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()).ToList();
        Assert.AreEqual(text, string.Concat(tokenTexts));
        for (int i = 0; i < tokenTexts.Count; i++) Assert.AreEqual(tokenTexts[i], text.Substring(offsets[i], tokenTexts[i].Length), $"token {i}");
        var tokenLogprobs = logprobs.GetProperty("token_logprobs");
        int generated = completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        Assert.AreEqual(model.TokenizerFiles!.Encode(prompt).Length + generated, tokenLogprobs.GetArrayLength(), "echo: prompt and completion tokens");
        Assert.AreEqual(JsonValueKind.Null, tokenLogprobs[0].ValueKind);
        // What was not asked for is not sent: echo scores the prompt into logprobs, not a second time as prompt_logprobs.
        Assert.AreEqual(JsonValueKind.Null, choice.GetProperty("prompt_logprobs").ValueKind);
        Assert.AreEqual(JsonValueKind.Null, choice.GetProperty("prompt_token_ids").ValueKind);
        var scored = (await Post(http, "v1/completions", new { prompt, max_tokens = 1, temperature = 0, prompt_logprobs = 1 })).GetProperty("choices")[0];
        Assert.AreEqual(promptIds.Length, scored.GetProperty("prompt_logprobs").GetArrayLength());
        CollectionAssert.AreEqual(promptIds, scored.GetProperty("prompt_token_ids").EnumerateArray().Select(i => i.GetInt32()).ToArray());
        var ids = (await Post(http, "v1/completions", new { prompt, max_tokens = 1, return_token_ids = true })).GetProperty("choices")[0];
        Assert.AreEqual(JsonValueKind.Null, ids.GetProperty("prompt_logprobs").ValueKind);
        Assert.AreEqual(promptIds.Length, ids.GetProperty("prompt_token_ids").GetArrayLength());

        // The OpenAI provider of Microsoft.Extensions.AI, pointed at the server, gets what the in-process chat client writes.
        using var local = model.AsIChatClient();
        var options = new ChatOptions { MaxOutputTokens = 10, Temperature = 0 };
        var messages = new[] { new ChatMessage(ChatRole.User, prompt) };
        string inProcess = (await local.GetResponseAsync(messages, options)).Text;
        var openAI = new OpenAI.OpenAIClient(new System.ClientModel.ApiKeyCredential("unused"),
            new OpenAI.OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });
        using IChatClient remote = openAI.GetChatClient("tiny").AsIChatClient();
        var served = await remote.GetResponseAsync(messages, options);
        Assert.AreEqual(inProcess, served.Text);
        Assert.IsTrue(served.Usage?.InputTokenCount > 0);

        var streamed = new StringBuilder();
        int updates = 0;
        await foreach (var update in remote.GetStreamingResponseAsync(messages, options))
        {
            streamed.Append(update.Text);
            updates++;
        }
        Assert.AreEqual(inProcess, streamed.ToString());
        Assert.IsTrue(updates > 2, "the text arrived in pieces");
        Assert.AreEqual(5, server.Statistics.ChatCompletions + server.Statistics.Completions, "1 echo, 2 scoring completions, 2 chats");
    }

    [TestMethod]
    public async Task RefusesMissingKeysOversizedPromptsAndBodiesAndTooManyLogprobs()
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(), seed: 6);
        var (server, http) = await Start(path, o =>
        {
            o.ApiKey = "test-key-1";
            o.MaxPromptTokens = 16;
            o.MaxRequestBodyBytes = 4096;
        });
        await using var _ = server;
        using var __ = http;

        async Task<(HttpStatusCode Status, string Message)> Send(object body, string? key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = JsonContent.Create(body) };
            if (key is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            using var response = await http.SendAsync(request);
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return (response.StatusCode, json.TryGetProperty("error", out var error) ? error.GetProperty("message").GetString()! : "");
        }

        var small = new { prompt = new[] { 1, 5, 6 }, max_tokens = 1 };
        Assert.AreEqual(HttpStatusCode.Unauthorized, (await Send(small, null)).Status);
        Assert.AreEqual(HttpStatusCode.Unauthorized, (await Send(small, "wrong")).Status);
        Assert.AreEqual(HttpStatusCode.OK, (await Send(small, "test-key-1")).Status);

        var (status, message) = await Send(new { prompt = Enumerable.Repeat(5, 17).ToArray(), max_tokens = 1 }, "test-key-1");
        Assert.AreEqual(HttpStatusCode.BadRequest, status);
        StringAssert.Contains(message, "at most 16");

        (status, message) = await Send(new { prompt = new string('x', 5000), max_tokens = 1 }, "test-key-1");
        Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, status);

        (status, message) = await Send(new { prompt = new[] { 1, 5 }, max_tokens = 1, prompt_logprobs = 21 }, "test-key-1");
        Assert.AreEqual(HttpStatusCode.BadRequest, status);
        StringAssert.Contains(message, "greater than max allowed: 20");

        (status, message) = await Send(new { prompt = new[] { 1, 99999 }, max_tokens = 1 }, "test-key-1");
        Assert.AreEqual(HttpStatusCode.BadRequest, status);
        StringAssert.Contains(message, "outside the vocabulary");
        Assert.AreEqual(6, server.Statistics.Refused);
        Assert.AreEqual(1, server.Statistics.Completions);
    }

    [TestMethod]
    public async Task ConcurrentCompletionsAreBatchedAndEqualTheSameRequestsAlone()
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(hidden: 64), seed: 8);
        var (server, http) = await Start(path);
        await using var _ = server;
        using var __ = http;
        // Prompts of different lengths, budgets and sampling settings, greedy and seeded.
        var bodies = Enumerable.Range(0, 12).Select(i => (object)new
        {
            prompt = string.Concat(Enumerable.Repeat("Tom has 5 stamps. ", 1 + i % 4)), max_tokens = 6 + i,
            temperature = i % 3 == 0 ? 0.9 : 0, seed = 100 + i,
        }).ToList();
        async Task<string[]> Texts(bool together)
        {
            if (!together)
            {
                var texts = new List<string>();
                foreach (var body in bodies) texts.Add((await Post(http, "v1/completions", body)).GetProperty("choices")[0].GetProperty("text").GetString()!);
                return texts.ToArray();
            }
            var answers = await Task.WhenAll(bodies.Select(b => Post(http, "v1/completions", b)));
            return answers.Select(a => a.GetProperty("choices")[0].GetProperty("text").GetString()!).ToArray();
        }
        var alone = await Texts(together: false);
        long passesAlone = server.Statistics.DecodingPasses;
        Assert.AreEqual(12, passesAlone, "one request at a time: one pass each");
        var together = await Texts(together: true);
        CollectionAssert.AreEqual(alone, together);
        long passes = server.Statistics.DecodingPasses - passesAlone;
        Assert.IsTrue(passes < 12, $"12 concurrent requests took {passes} passes: they were batched");
        Assert.AreEqual(24, server.Statistics.DecodedSequences);
    }

    [TestMethod]
    public async Task NChoicesAndPromptListsAnswerInOpenAIsOrder()
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(hidden: 64), seed: 9);
        var (server, http) = await Start(path);
        await using var _ = server;
        using var __ = http;
        string[] prompts = ["Ann has 2 cats.", "Sam buys 4 books and 3 pens."];
        var answer = await Post(http, "v1/completions", new { prompt = prompts, n = 3, max_tokens = 8, temperature = 1.0, seed = 7 });
        var choices = answer.GetProperty("choices").EnumerateArray().ToList();
        Assert.AreEqual(6, choices.Count, "2 prompts × n = 3");
        for (int i = 0; i < 6; i++) Assert.AreEqual(i, choices[i].GetProperty("index").GetInt32());
        // Choice j of a prompt samples with seed + j: the same as a request for that prompt alone with that seed.
        for (int p = 0; p < 2; p++)
            for (int j = 0; j < 3; j++)
            {
                var alone = await Post(http, "v1/completions", new { prompt = prompts[p], max_tokens = 8, temperature = 1.0, seed = 7 + j });
                Assert.AreEqual(alone.GetProperty("choices")[0].GetProperty("text").GetString(), choices[p * 3 + j].GetProperty("text").GetString(), $"prompt {p}, choice {j}");
            }
        Assert.IsTrue(choices.Take(3).Select(c => c.GetProperty("text").GetString()).Distinct().Count() > 1, "different seeds sample differently");
        var usage = answer.GetProperty("usage");
        int promptTokens = 0;
        foreach (var prompt in prompts) promptTokens += (await Post(http, "tokenize", new { prompt })).GetProperty("count").GetInt32();
        Assert.AreEqual(promptTokens, usage.GetProperty("prompt_tokens").GetInt32(), "each prompt counted once");

        using var tooMany = await http.PostAsJsonAsync("v1/completions", new { prompt = "x", n = 500 });
        Assert.AreEqual(HttpStatusCode.BadRequest, tooMany.StatusCode);
        StringAssert.Contains(await tooMany.Content.ReadAsStringAsync(), "at most 128");
    }

    [TestMethod]
    public async Task StreamedCompletionsJoinIntoTheCompletionAndEndWithItsFinishReason()
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(hidden: 64), seed: 10);
        var (server, http) = await Start(path);
        await using var _ = server;
        using var __ = http;
        async Task<(List<JsonElement> Chunks, bool Done)> Stream(object body)
        {
            using var response = await http.PostAsJsonAsync("v1/completions", body);
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
            StringAssert.StartsWith(response.Content.Headers.ContentType!.MediaType, "text/event-stream");
            var lines = (await response.Content.ReadAsStringAsync()).Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..]).ToList();
            return (lines.Where(l => l != "[DONE]").Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList(), lines[^1] == "[DONE]");
        }
        const string prompt = "Sam buys 4 books.";
        foreach (var stop in new string?[] { null, " " })
        {
            object body = stop is null ? new { prompt, max_tokens = 12, temperature = 0 } : new { prompt, max_tokens = 12, temperature = 0, stop = new[] { stop } };
            var whole = (await Post(http, "v1/completions", body)).GetProperty("choices")[0];
            object streamed = stop is null
                ? new { prompt, max_tokens = 12, temperature = 0, stream = true, stream_options = new { include_usage = true } }
                : new { prompt, max_tokens = 12, temperature = 0, stream = true, stop = new[] { stop }, stream_options = new { include_usage = true } };
            var (chunks, done) = await Stream(streamed);
            Assert.IsTrue(done, "the stream ends with [DONE]");
            var texts = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0]).ToList();
            Assert.AreEqual(whole.GetProperty("text").GetString(), string.Concat(texts.Select(t => t.GetProperty("text").GetString())), $"stop {stop ?? "none"}");
            Assert.AreEqual(whole.GetProperty("finish_reason").GetString(), texts[^1].GetProperty("finish_reason").GetString());
            Assert.IsTrue(texts.Take(texts.Count - 1).All(t => t.GetProperty("finish_reason").ValueKind == JsonValueKind.Null));
            Assert.AreEqual("text_completion", chunks[0].GetProperty("object").GetString());
            Assert.IsTrue(chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0, "the usage chunk comes last");
            if (stop is null) Assert.IsTrue(texts.Count > 3, "the text arrived in pieces");
        }
        foreach (var refused in new object[]
        {
            new { prompt = new[] { "a", "b" }, stream = true },
            new { prompt, n = 2, stream = true },
            new { prompt, logprobs = 1, stream = true },
        })
        {
            using var response = await http.PostAsJsonAsync("v1/completions", refused);
            Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
            StringAssert.Contains(await response.Content.ReadAsStringAsync(), "stream");
        }
    }

    [TestMethod]
    public async Task ChatLogprobsReachTheOpenAIClientAndAreTheModelsOwn()
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(hidden: 64), seed: 11);
        var (server, http) = await Start(path);
        await using var _ = server;
        using var __ = http;
        var openAI = new OpenAI.OpenAIClient(new System.ClientModel.ApiKeyCredential("unused"),
            new OpenAI.OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });
        var chat = openAI.GetChatClient("tiny");
        var options = new OpenAI.Chat.ChatCompletionOptions
        {
            MaxOutputTokenCount = 8, Temperature = 0, IncludeLogProbabilities = true, TopLogProbabilityCount = 3,
        };
        var completion = (await chat.CompleteChatAsync([OpenAI.Chat.ChatMessage.CreateUserMessage("Sam buys 4 books.")], options)).Value;
        var tokens = completion.ContentTokenLogProbabilities;
        string text = completion.Content[0].Text;
        Assert.IsTrue(tokens.Count > 0, "logprobs came back");
        Assert.AreEqual(text, string.Concat(tokens.Select(t => t.Token)), "the tokens join into the answer");
        foreach (var token in tokens)
        {
            Assert.AreEqual(3, token.TopLogProbabilities.Count);
            // Greedy: each token is its position's most likely one.
            Assert.AreEqual(token.TopLogProbabilities[0].LogProbability, token.LogProbability, 1e-5);
            Assert.IsTrue(token.TopLogProbabilities[1].LogProbability <= token.LogProbability);
            CollectionAssert.AreEqual(System.Text.Encoding.UTF8.GetBytes(token.Token), token.Utf8Bytes!.Value.ToArray());
        }

        // The same numbers as the model's own scores in this process.
        using var model = CausalLM.FromPretrained(path);
        using var local = model.AsIChatClient();
        var messages = new[] { new ChatMessage(ChatRole.User, "Sam buys 4 books.") };
        int[] prompt = ((CausalLMChatClient)local).EncodeConversation(messages);
        var generated = model.Generate(prompt, new GenerationOptions { MaxNewTokens = 8 });
        var scores = model.Score([.. prompt, .. generated], 3).Positions;
        for (int t = 0; t < tokens.Count; t++) Assert.AreEqual(scores[prompt.Length + t - 1].Logprob, tokens[t].LogProbability, 1e-5, $"token {t}");

        // n choices: choice i samples with seed + i, as a request with that seed alone.
        var user = new[] { new { role = "user", content = "Sam buys 4 books." } };
        var several = await Post(http, "v1/chat/completions", new { messages = user, n = 3, max_tokens = 8, temperature = 1.0, seed = 5 });
        Assert.AreEqual(3, several.GetProperty("choices").GetArrayLength());
        for (int i = 0; i < 3; i++)
        {
            var alone = await Post(http, "v1/chat/completions", new { messages = user, max_tokens = 8, temperature = 1.0, seed = 5 + i });
            Assert.AreEqual(alone.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(),
                several.GetProperty("choices")[i].GetProperty("message").GetProperty("content").GetString(), $"choice {i}");
            Assert.AreEqual(i, several.GetProperty("choices")[i].GetProperty("index").GetInt32());
        }
        using var streamedChoices = await http.PostAsJsonAsync("v1/chat/completions", new { messages = user, n = 2, stream = true });
        Assert.AreEqual(HttpStatusCode.BadRequest, streamedChoices.StatusCode);

        using var streamed = await http.PostAsJsonAsync("v1/chat/completions",
            new { messages = new[] { new { role = "user", content = "Hi" } }, logprobs = true, stream = true });
        Assert.AreEqual(HttpStatusCode.BadRequest, streamed.StatusCode);
        StringAssert.Contains(await streamed.Content.ReadAsStringAsync(), "does not stream logprobs");
    }

    [TestMethod]
    public async Task ServingManyRequestsLeavesNoTensorsBehind()
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(), seed: 7);
        var (server, http) = await Start(path);
        await using var _ = server;
        using var __ = http;
        async Task Round(int i)
        {
            // Concurrent scoring requests (batched), a generation with logprobs, batched and streamed completions, and a streamed chat.
            await Task.WhenAll(Enumerable.Range(0, 4).Select(j => Post(http, "v1/completions",
                new { prompt = new[] { 1, 5 + i, 6 + j, 7 }, max_tokens = 1, temperature = 0, prompt_logprobs = 3 })));
            await Post(http, "v1/completions", new { prompt = "Ann has 2 cats.", max_tokens = 4, temperature = 0.7, seed = i, logprobs = 2 });
            // Batched completions (a prompt list with n = 2) and a streamed one.
            await Post(http, "v1/completions", new { prompt = new[] { "Ann has 2 cats.", "Tom" }, n = 2, max_tokens = 4, temperature = 0.7, seed = i });
            using (var streamed = await http.PostAsJsonAsync("v1/completions", new { prompt = "Tom has", max_tokens = 4, stream = true }))
                await streamed.Content.ReadAsStringAsync();
            using var chat = await http.PostAsJsonAsync("v1/chat/completions",
                new { messages = new[] { new { role = "user", content = "Hi" } }, max_tokens = 4, stream = true });
            Assert.AreEqual(HttpStatusCode.OK, chat.StatusCode);
            await chat.Content.ReadAsStringAsync();
        }
        for (int i = 0; i < 3; i++) await Round(i); // warm-up
        long before = TorchSharp.torch.Tensor.TotalCount;
        Assert.IsTrue(before > 0, "the model's weights are live tensors");
        for (int i = 0; i < 15; i++) await Round(i);
        long after = TorchSharp.torch.Tensor.TotalCount;
        Assert.IsTrue(after <= before, $"live tensors grew from {before} to {after} over 15 rounds of requests");
    }

    [TestMethod]
    [DataRow("qwen3")]
    [DataRow("smollm3")]
    public async Task ChatTemplateKwargsTurnAReasoningModelsThinkingOff(string family)
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.AsFamily(TinyCheckpoints.Config(context: 2048), family), seed: 8);
        var (server, http) = await Start(path);
        await using var _ = server;
        using var __ = http;
        using var model = CausalLM.FromPretrained(path);
        using var local = new CausalLMChatClient(model);
        var messages = new[] { new ChatMessage(ChatRole.User, "Sam buys 4 books.") };
        var noThinking = new ChatOptions { AdditionalProperties = new() { [CausalLMChatClient.EnableThinkingProperty] = false } };
        int thinkingPrompt = local.EncodeConversation(messages).Length, plainPrompt = local.EncodeConversation(messages, noThinking).Length;
        Assert.AreNotEqual(thinkingPrompt, plainPrompt, "the empty thinking block (and, for SmolLM3, another mode and instructions) changes the prompt");

        async Task<HttpResponseMessage> Chat(object? kwargs) => await http.PostAsJsonAsync("v1/chat/completions",
            new { messages = new[] { new { role = "user", content = "Sam buys 4 books." } }, max_tokens = 2, temperature = 0, chat_template_kwargs = kwargs });
        foreach (var (kwargs, expected) in new (object?, int)[] { (null, thinkingPrompt), (new { enable_thinking = false }, plainPrompt), (new { enable_thinking = true }, thinkingPrompt) })
        {
            using var response = await Chat(kwargs);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, body.ToString());
            Assert.AreEqual(expected, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        }
        using var refused = await Chat(new { tools_in_user_message = true });
        Assert.AreEqual(HttpStatusCode.BadRequest, refused.StatusCode);
        StringAssert.Contains(JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("message").GetString(),
            "'tools_in_user_message' is not supported");
        Assert.ThrowsExactly<ArgumentException>(() => local.EncodeConversation(messages,
            new ChatOptions { AdditionalProperties = new() { [CausalLMChatClient.EnableThinkingProperty] = "no" } }));
    }
}
