using System.Globalization;
using System.Text;

namespace Microsoft.ML.Neo.Tokenization.Chat;

/// <summary>
/// The ChatML formats of reasoning models, which differ from plain ChatML in how they write thinking: Qwen3's and
/// SmolLM3's published chat templates (no tools), written out by hand. Each rule below is one of their branches.
/// </summary>
internal static class ReasoningChatTemplates
{
    private const string EmptyThinking = "<think>\n\n</think>\n";

    // SmolLM3's default custom instructions for each reasoning mode (the template's own text).
    private const string SmolLM3NoThinkInstructions = "You are a helpful AI assistant named SmolLM, trained by Hugging Face.";
    private const string SmolLM3ThinkInstructions = SmolLM3NoThinkInstructions + " Your role as an assistant involves thoroughly " +
        "exploring questions through a systematic thinking process before providing the final precise and accurate solutions. " +
        "This requires engaging in a comprehensive cycle of analysis, summarizing, exploration, reassessment, reflection, " +
        "backtracking, and iteration to develop well-considered thinking process. Please structure your response into two main " +
        "sections: Thought and Solution using the specified format: <think> Thought section </think> Solution section. In the " +
        "Thought section, detail your reasoning process in steps. Each step should include detailed considerations such as " +
        "analysing questions, summarizing relevant findings, brainstorming new ideas, verifying the accuracy of the current " +
        "steps, refining any errors, and revisiting previous steps. In the Solution section, based on various attempts, " +
        "explorations, and reflections from the Thought section, systematically present the final solution that you deem " +
        "correct. The Solution section should be logical, accurate, and concise and detail necessary steps needed to reach " +
        "the conclusion.";

    public static string Qwen3(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, bool enableThinking)
    {
        var text = new StringBuilder();
        if (messages[0].Role == "system") text.Append($"<|im_start|>system\n{messages[0].Content}<|im_end|>\n");
        int lastQuery = LastIndexOf(messages, "user");
        for (int i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message.Role == "user" || (message.Role == "system" && i > 0))
            {
                text.Append($"<|im_start|>{message.Role}\n{message.Content}<|im_end|>\n");
            }
            else if (message.Role == "assistant")
            {
                var (reasoning, answer) = SplitThinking(message.Content);
                // Turns after the last question keep their reasoning (the last turn always does); earlier ones lose it.
                bool keepsReasoning = i > lastQuery && (i == messages.Count - 1 || reasoning.Length > 0);
                text.Append(keepsReasoning
                    ? $"<|im_start|>assistant\n<think>\n{reasoning.Trim('\n')}\n</think>\n\n{answer.TrimStart('\n')}"
                    : $"<|im_start|>assistant\n{answer}");
                text.Append("<|im_end|>\n");
            }
        }
        if (addGenerationPrompt)
        {
            text.Append("<|im_start|>assistant\n");
            if (!enableThinking) text.Append(EmptyThinking).Append('\n');
        }
        return text.ToString();
    }

    public static string SmolLM3(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, bool enableThinking, DateOnly today)
    {
        bool thinking = enableThinking;
        string? system = messages[0].Role == "system" ? messages[0].Content : null;
        string instructions = "";
        if (system is not null)
        {
            // A flag in the system message overrides enable_thinking; the flags themselves are not shown to the model.
            if (system.Contains("/no_think", StringComparison.Ordinal)) thinking = false;
            else if (system.Contains("/think", StringComparison.Ordinal)) thinking = true;
            instructions = system.Replace("/no_think", "", StringComparison.Ordinal).Replace("/think", "", StringComparison.Ordinal).TrimEnd();
        }

        var text = new StringBuilder("<|im_start|>system\n");
        if (system is not null && system.Contains("/system_override", StringComparison.Ordinal))
        {
            text.Append(instructions.Replace("/system_override", "", StringComparison.Ordinal).TrimEnd()).Append("<|im_end|>\n");
        }
        else
        {
            text.Append("## Metadata\n\n");
            text.Append("Knowledge Cutoff Date: June 2025\n");
            text.Append("Today Date: ").Append(today.ToString("dd MMMM yyyy", CultureInfo.InvariantCulture)).Append('\n');
            text.Append("Reasoning Mode: ").Append(thinking ? "/think" : "/no_think").Append("\n\n");
            text.Append("## Custom Instructions\n\n");
            text.Append(instructions.Length > 0 ? instructions : thinking ? SmolLM3ThinkInstructions : SmolLM3NoThinkInstructions).Append("\n\n");
            text.Append("## Tools\n\n### XML Tools\n\nNone\n\n### Python Tools\n\nNone\n\n<|im_end|>\n");
        }
        // System messages appear only in the block above.
        foreach (var message in messages.Where(m => m.Role != "system"))
        {
            if (message.Role == "user")
                text.Append($"<|im_start|>user\n{message.Content}<|im_end|>\n");
            else
                text.Append("<|im_start|>assistant\n").Append(thinking ? "" : EmptyThinking).Append(message.Content.TrimStart('\n')).Append("<|im_end|>\n");
        }
        if (addGenerationPrompt) text.Append("<|im_start|>assistant\n").Append(thinking ? "" : EmptyThinking);
        return text.ToString();
    }

    // Qwen3's split of an assistant message: the reasoning between <think> and the first </think>, the answer after the last.
    private static (string Reasoning, string Answer) SplitThinking(string content)
    {
        int close = content.IndexOf("</think>", StringComparison.Ordinal);
        if (close < 0) return ("", content);
        string answer = content[(content.LastIndexOf("</think>", StringComparison.Ordinal) + "</think>".Length)..].TrimStart('\n');
        string before = content[..close].TrimEnd('\n');
        int open = before.LastIndexOf("<think>", StringComparison.Ordinal);
        string reasoning = (open < 0 ? before : before[(open + "<think>".Length)..]).TrimStart('\n');
        return (reasoning, answer);
    }

    private static int LastIndexOf(IReadOnlyList<ChatTurn> messages, string role)
    {
        for (int i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == role) return i;
        }
        return messages.Count - 1; // as the template: no user message leaves the last index
    }
}
