using Microsoft.ML.Neo.Tokenization.Chat;

namespace Microsoft.ML.Neo.Tests.Tokenization;

/// <summary>Expected strings are what each model family's published chat_template renders for the same conversation.</summary>
[TestClass]
public sealed class ChatPromptTests
{
    private static readonly ChatMessage[] Conversation =
    {
        ChatMessage.System("You are terse."),
        ChatMessage.User("What is 2+3?"),
        ChatMessage.Assistant("5"),
        ChatMessage.User("And 4*5?"),
    };

    [TestMethod]
    public void Llama2Chat()
    {
        Assert.AreEqual(
            "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nWhat is 2+3? [/INST] 5 </s><s>[INST] And 4*5? [/INST]",
            ChatPrompt.Render(ChatFormat.Llama2Chat, Conversation));
        Assert.AreEqual("<s>[INST] Hi [/INST]", ChatPrompt.Render(ChatFormat.Llama2Chat, new[] { ChatMessage.User("Hi") }));
    }

    [TestMethod]
    public void Llama3Instruct()
    {
        Assert.AreEqual(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+3?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n5<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nAnd 4*5?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatPrompt.Render(ChatFormat.Llama3Instruct, Conversation));
    }

    [TestMethod]
    public void ChatML()
    {
        Assert.AreEqual(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is 2+3?<|im_end|>\n" +
            "<|im_start|>assistant\n5<|im_end|>\n<|im_start|>user\nAnd 4*5?<|im_end|>\n<|im_start|>assistant\n",
            ChatPrompt.Render(ChatFormat.ChatML, Conversation));
        Assert.IsFalse(ChatPrompt.Render(ChatFormat.ChatML, Conversation, addGenerationPrompt: false).EndsWith("assistant\n"));
    }

    [TestMethod]
    public void BadConversationsAreRefused()
    {
        Assert.ThrowsExactly<ArgumentException>(() => ChatPrompt.Render(ChatFormat.ChatML, Array.Empty<ChatMessage>()));
        var error = Assert.ThrowsExactly<ArgumentException>(() => ChatPrompt.Render(ChatFormat.ChatML, new[] { new ChatMessage("tool", "x") }));
        StringAssert.Contains(error.Message, "tool");
        Assert.ThrowsExactly<ArgumentException>(() => ChatPrompt.Render(ChatFormat.Llama2Chat,
            new[] { ChatMessage.User("a"), ChatMessage.System("late") }));
    }
}
