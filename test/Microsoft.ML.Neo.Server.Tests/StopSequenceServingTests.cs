using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Microsoft.ML.Neo.Tests.Server;

/// <summary>
/// Stop strings and logprobs as served: completions and chat cut at the same place whether streamed or not, a stop
/// split across tokens never leaks its start, and chat logprobs have one entry per completion token.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class StopSequenceServingTests
{
    private const string Prompt = "Sam buys 4 books.";

    // A stop string of two or three characters that starts in token b - 1 and ends in token b, where it first occurs:
    // the answer must end just before it.
    private static (string Stop, string Expected)? SplitStop(IReadOnlyList<string> pieces)
    {
        string text = string.Concat(pieces);
        int offset = 0;
        for (int b = 1; b < pieces.Count; b++)
        {
            offset += pieces[b - 1].Length;
            if (pieces[b - 1].Length == 0 || pieces[b].Length == 0) continue;
            string stop = pieces[b - 1][^1..] + pieces[b][..Math.Min(2, pieces[b].Length)];
            // Some text before the stop, and the stop's first occurrence exactly there.
            if (offset < 2 || string.IsNullOrWhiteSpace(stop) || text.IndexOf(stop, StringComparison.Ordinal) != offset - 1) continue;
            return (stop, text[..(offset - 1)]);
        }
        return null;
    }

    private static async Task<List<JsonElement>> Events(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadAsStringAsync()).Split('\n')
            .Where(l => l.StartsWith("data: ", StringComparison.Ordinal) && l != "data: [DONE]")
            .Select(l => JsonDocument.Parse(l[6..]).RootElement.Clone()).ToList();
    }

    [TestMethod]
    public async Task AStopSplitAcrossTokensEndsCompletionsStreamedOrNot()
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(hidden: 64), seed: 10);
        var (server, http) = await NeoServerTests.Start(path);
        await using var _ = server;
        using var __ = http;

        // The completion's own tokens, as the server reports them, give a stop string that straddles two of them.
        var whole = (await NeoServerTests.Post(http, "v1/completions", new { prompt = Prompt, max_tokens = 24, temperature = 0, logprobs = 0 }))
            .GetProperty("choices")[0];
        var pieces = whole.GetProperty("logprobs").GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        var split = SplitStop(pieces);
        Assert.IsNotNull(split, $"the greedy completion has a token boundary to put a stop across: {string.Join("|", pieces)}");
        var (stop, expected) = split.Value;

        var cut = (await NeoServerTests.Post(http, "v1/completions", new { prompt = Prompt, max_tokens = 24, temperature = 0, stop = new[] { stop } }))
            .GetProperty("choices")[0];
        Assert.AreEqual(expected, cut.GetProperty("text").GetString(), $"stop '{stop}'");
        Assert.AreEqual("stop", cut.GetProperty("finish_reason").GetString());

        var chunks = await Events(http, "v1/completions", new { prompt = Prompt, max_tokens = 24, temperature = 0, stream = true, stop = new[] { stop } });
        var texts = chunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()).ToList();
        Assert.AreEqual(expected, string.Concat(texts), $"streamed with stop '{stop}': nothing of the stop string is sent");
        Assert.AreEqual("stop", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [TestMethod]
    public async Task AStopSplitAcrossTokensEndsChatStreamedOrNot()
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(hidden: 64), seed: 10);
        var (server, http) = await NeoServerTests.Start(path);
        await using var _ = server;
        using var __ = http;
        var user = new[] { new { role = "user", content = Prompt } };

        // The pieces each greedy token adds to the chat answer, from the model in this process.
        using var model = CausalLM.FromPretrained(path);
        using var local = (CausalLMChatClient)model.AsIChatClient();
        int[] promptIds = local.EncodeConversation([new ChatMessage(ChatRole.User, Prompt)]);
        int[] generated = model.Generate(promptIds, new GenerationOptions { MaxNewTokens = 24 });
        var pieces = Enumerable.Range(1, generated.Length)
            .Select(n => model.TokenizerFiles!.Decode(generated[..n]))
            .Select((text, n) => n == 0 ? text : text[model.TokenizerFiles!.Decode(generated[..n]).Length..]).ToList();
        var split = SplitStop(pieces);
        Assert.IsNotNull(split, $"the greedy answer has a token boundary to put a stop across: {string.Join("|", pieces)}");
        var (stop, expected) = split.Value;

        var answer = await NeoServerTests.Post(http, "v1/chat/completions", new { messages = user, max_tokens = 24, temperature = 0, stop = new[] { stop } });
        Assert.AreEqual(expected, answer.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), $"stop '{stop}'");
        Assert.AreEqual("stop", answer.GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        var chunks = await Events(http, "v1/chat/completions", new { messages = user, max_tokens = 24, temperature = 0, stream = true, stop = new[] { stop } });
        string streamed = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Select(d => d.TryGetProperty("content", out var content) ? content.GetString() : ""));
        Assert.AreEqual(expected, streamed, $"streamed with stop '{stop}'");
    }

    [TestMethod]
    public async Task ChatLogprobsHaveAnEntryForEveryCompletionToken()
    {
        // Three random models: answers that open with a word piece ("▁word", whose space the answer drops) and with bytes.
        foreach (int seed in new[] { 10, 11, 12 })
        {
            using var folder = new TempDirectory();
            string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(hidden: 64), seed: seed);
            var (server, http) = await NeoServerTests.Start(path);
            await using var _ = server;
            using var __ = http;
            // What the official OpenAI client reads from the response.
            var chat = new OpenAI.OpenAIClient(new System.ClientModel.ApiKeyCredential("unused"),
                new OpenAI.OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") }).GetChatClient("tiny");
            foreach (int maxTokens in new[] { 1, 6 })
            {
                var options = new OpenAI.Chat.ChatCompletionOptions
                {
                    MaxOutputTokenCount = maxTokens, Temperature = 0, IncludeLogProbabilities = true, TopLogProbabilityCount = 2,
                };
                var completion = (await chat.CompleteChatAsync([OpenAI.Chat.ChatMessage.CreateUserMessage(Prompt)], options)).Value;
                int tokens = completion.Usage.OutputTokenCount;
                string what = $"seed {seed}, max_tokens {maxTokens}";
                Assert.IsTrue(tokens is >= 1 && tokens <= maxTokens, $"{what}: {tokens} completion tokens");
                Assert.AreEqual(tokens, completion.ContentTokenLogProbabilities.Count, $"{what}: one logprobs entry per completion token");
                Assert.AreEqual(completion.Content[0].Text, string.Concat(completion.ContentTokenLogProbabilities.Select(t => t.Token)),
                    $"{what}: the tokens join into the answer");
            }
        }
    }
}
