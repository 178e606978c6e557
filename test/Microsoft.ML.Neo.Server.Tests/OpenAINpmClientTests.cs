using System.Text.Json;

namespace Microsoft.ML.Neo.Tests.Server;

/// <summary>
/// NeoServer as the official openai npm client sees it (tools/openai-client-check, installed by ./build.sh test):
/// chat logprobs have one entry per completion token, and their tokens join into the answer, with any budget.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class OpenAINpmClientTests
{
    [TestMethod]
    public async Task ChatLogprobsHaveOneEntryPerCompletionTokenInTheOpenAIClientsView()
    {
        string tool = Path.Combine(RepositoryPaths.Root(), "tools", "openai-client-check");
        Assert.IsTrue(Directory.Exists(Path.Combine(tool, "node_modules", "openai")),
            $"the openai npm client is not installed in {tool}; run ./build.sh test (or npm ci there), which installs it");
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.Config(), seed: 5);
        var (server, http) = await NeoServerTests.Start(path);
        await using var _ = server;
        using var __ = http;

        var (exitCode, output, errors) = ToolProcesses.Run("node",
            ["chat-logprobs.mjs", new Uri(server.BaseAddress, "v1").ToString(), server.ModelId, "Sam buys 4 books.", "1", "6", "12"], tool, TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, exitCode, errors);
        var answers = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.AreEqual(3, answers.Count);
        foreach (var answer in answers)
        {
            int budget = answer.GetProperty("max_tokens").GetInt32(), tokens = answer.GetProperty("completion_tokens").GetInt32();
            Assert.IsTrue(tokens is > 0 && tokens <= budget, $"max_tokens {budget}: {tokens} completion tokens");
            Assert.AreEqual(tokens, answer.GetProperty("entries").GetInt32(), $"max_tokens {budget}: one logprobs entry per completion token");
            Assert.AreEqual(answer.GetProperty("text").GetString(), answer.GetProperty("joined").GetString(), $"max_tokens {budget}: the entries' tokens are the answer");
            Assert.IsTrue(answer.GetProperty("top").EnumerateArray().All(t => t.GetInt32() == 2), "top_logprobs 2 at every entry");
        }
    }
}
