using Microsoft.Extensions.AI;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Tokenization.Chat;

namespace Microsoft.ML.Neo.Tests.Generation;

[TestClass]
public sealed class CausalLMChatClientTests
{
    private const string Prompt = "Question: Tom has 5 stamps. He buys 3 more. How many stamps does Tom have now? Answer:";

    private static CausalLM TinyModel(TempDirectory folder)
    {
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 31);
        return CausalLM.FromPretrained(folder.Path);
    }

    [TestMethod]
    public void AChatTemplateTheLibraryCannotRenderIsRefusedByName()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 31);
        File.WriteAllText(Path.Combine(folder.Path, "tokenizer_config.json"),
            """{"chat_template": "{% for m in messages %}<|user|>\n{{ m['content'] }}<|end|>\n{% endfor %}<|assistant|>"}""");
        using var model = CausalLM.FromPretrained(folder.Path);
        var error = Assert.ThrowsExactly<NotSupportedException>(() => new CausalLMChatClient(model));
        StringAssert.Contains(error.Message, "chat_template is not one this library renders");
        StringAssert.Contains(error.Message, "<|user|>");
        using var explicitFormat = new CausalLMChatClient(model, ChatFormat.ChatML);
        Assert.AreEqual(ChatFormat.ChatML, explicitFormat.Format);
    }

    [TestMethod]
    public async Task GreedyResponseEqualsGenerateAndReportsUsage()
    {
        using var folder = new TempDirectory();
        using var model = TinyModel(folder);
        using var client = model.AsIChatClient(modelId: "tiny");
        var options = new ChatOptions { MaxOutputTokens = 12 };

        var response = await client.GetResponseAsync(new[] { new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, Prompt) }, options);

        var expectedIds = model.Generate(model.TokenizerFiles!.Encode(Prompt), new GenerationOptions { MaxNewTokens = 12 });
        Assert.AreEqual(model.TokenizerFiles.Decode(expectedIds), response.Text);
        Assert.AreEqual("tiny", response.ModelId);
        Assert.AreEqual(model.TokenizerFiles.Encode(Prompt).Length, response.Usage!.InputTokenCount);
        Assert.AreEqual(expectedIds.Length, response.Usage.OutputTokenCount);
        Assert.AreEqual(expectedIds.Length == 12 ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
    }

    [TestMethod]
    public async Task StreamingUpdatesConcatenateToTheResponse()
    {
        using var folder = new TempDirectory();
        using var model = TinyModel(folder);
        using var client = new CausalLMChatClient(model);
        var messages = new[] { new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, Prompt) };
        var options = new ChatOptions { MaxOutputTokens = 10 };

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options)) updates.Add(update);
        var response = await client.GetResponseAsync(messages, options);

        Assert.IsTrue(updates.Count(u => u.Text.Length > 0) > 1, "text arrives in pieces, not at the end");
        Assert.AreEqual(response.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.IsNotNull(updates[^1].FinishReason);
        Assert.IsTrue(updates[^1].Contents.OfType<UsageContent>().Any(), "the last update carries the usage");
    }

    [TestMethod]
    public async Task StopSequencesCutTheTextAndCancellationStops()
    {
        using var folder = new TempDirectory();
        using var model = TinyModel(folder);
        using var client = new CausalLMChatClient(model);
        var messages = new[] { new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, Prompt) };
        var full = (await client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 16 })).Text;
        Assert.IsTrue(full.Length >= 4, $"need some text to cut: '{full}'");
        string stop = full.Substring(2, 2);
        var cut = await client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 16, StopSequences = new[] { stop } });
        Assert.AreEqual(full[..full.IndexOf(stop, StringComparison.Ordinal)], cut.Text, $"full '{full}', stop '{stop}'");
        Assert.AreEqual(ChatFinishReason.Stop, cut.FinishReason);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsExactlyAsync<TaskCanceledException>(() => client.GetResponseAsync(messages, null, cancelled.Token));
        var bad = await Assert.ThrowsExactlyAsync<ArgumentException>(() => client.GetResponseAsync(messages, new ChatOptions { TopP = 2 }));
        StringAssert.Contains(bad.Message, "TopP");
    }

    [TestMethod]
    public async Task ChatFormatWritesTheConversationAndServicesAreExposed()
    {
        using var folder = new TempDirectory();
        using var model = TinyModel(folder);
        using var client = new CausalLMChatClient(model, ChatFormat.ChatML);
        Assert.AreEqual(ChatFormat.ChatML, client.Format);
        var messages = new[]
        {
            new Microsoft.Extensions.AI.ChatMessage(ChatRole.System, "Answer briefly."),
            new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, Prompt),
        };
        var rendered = ChatPrompt.Render(ChatFormat.ChatML, new[] { ChatTurn.System("Answer briefly."), ChatTurn.User(Prompt) });
        var response = await client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 4 });
        Assert.AreEqual(model.TokenizerFiles!.Encode(rendered, addBeginningOfSequence: false).Length, response.Usage!.InputTokenCount);

        // Tensors: the client only drives TokenGenerator.Stream, whose steps each close their dispose scope
        // (MemoryTests watches the live count through the same path).
        Assert.AreSame(model, client.GetService(typeof(CausalLM)));
        Assert.AreEqual("neo", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [TestMethod]
    [DataRow("qwen3", ChatFormat.Qwen3)]
    [DataRow("smollm3", ChatFormat.SmolLM3)]
    [DataRow("qwen2", ChatFormat.ChatML)]
    public void AReasoningFamilyWithoutATemplateChatsInItsOwnFormat(string family, ChatFormat expected)
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("model"), TinyCheckpoints.AsFamily(TinyCheckpoints.Config(context: 2048), family), seed: 9);
        using var model = CausalLM.FromPretrained(path);
        using var client = new CausalLMChatClient(model);
        Assert.AreEqual(expected, client.Format);
        var messages = new[] { new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "Hi") };
        var off = new ChatOptions { AdditionalProperties = new() { [CausalLMChatClient.EnableThinkingProperty] = false } };
        var rendered = ChatPrompt.Render(expected, new[] { ChatTurn.User("Hi") },
            options: new ChatRenderOptions { EnableThinking = false });
        CollectionAssert.AreEqual(model.TokenizerFiles!.Encode(rendered, addBeginningOfSequence: false), client.EncodeConversation(messages, off));
    }
}
