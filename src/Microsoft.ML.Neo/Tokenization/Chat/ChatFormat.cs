using System.Text;

namespace Microsoft.ML.Neo.Tokenization.Chat;

/// <summary>The prompt layouts of the common chat models.</summary>
public enum ChatFormat
{
    /// <summary>Llama 2 chat: <c>&lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;\n…\n&lt;&lt;/SYS&gt;&gt;\n\nuser [/INST] assistant &lt;/s&gt;</c>.</summary>
    Llama2Chat,
    /// <summary>Llama 3 instruct: header tokens around each role, <c>&lt;|eot_id|&gt;</c> after each turn.</summary>
    Llama3Instruct,
    /// <summary>
    /// ChatML (Qwen2, SmolLM): <c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;\n</c>. Qwen's templates insert a default system
    /// message when none is given; pass it explicitly to match them.
    /// </summary>
    ChatML,
    /// <summary>
    /// Gemma 3: <c>&lt;bos&gt;&lt;start_of_turn&gt;user\n…&lt;end_of_turn&gt;\n&lt;start_of_turn&gt;model\n</c>. The system message
    /// opens the first user turn (followed by a blank line); user and assistant turns must alternate.
    /// </summary>
    Gemma,
    /// <summary>
    /// Phi-4-mini: <c>&lt;|system|&gt;…&lt;|end|&gt;&lt;|user|&gt;…&lt;|end|&gt;&lt;|assistant|&gt;</c>, contents right after the role
    /// marker with no newline. (Phi-3's template, with newlines and a leading BOS, is another format and not rendered.)
    /// </summary>
    Phi4Mini,
}

/// <summary>
/// Renders conversations as the text the models were trained on, written out by hand for each format (what the
/// models' Jinja <c>chat_template</c>s produce), ending with the cue for the assistant's next turn.
/// </summary>
public static class ChatPrompt
{
    /// <summary>The text to tokenize (special tokens appear as their text, e.g. <c>&lt;|eot_id|&gt;</c>).</summary>
    /// <param name="addGenerationPrompt">End with the opening of an assistant turn, for generation.</param>
    public static string Render(ChatFormat format, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0) throw new ArgumentException("A conversation needs at least one message.", nameof(messages));
        foreach (var message in messages)
        {
            if (message.Role is not ("system" or "user" or "assistant"))
                throw new ArgumentException($"Chat role '{message.Role}' is not one of system, user, assistant.", nameof(messages));
        }
        return format switch
        {
            ChatFormat.Llama2Chat => Llama2(messages, addGenerationPrompt),
            ChatFormat.Llama3Instruct => Llama3(messages, addGenerationPrompt),
            ChatFormat.ChatML => ChatMl(messages, addGenerationPrompt),
            ChatFormat.Gemma => Gemma(messages, addGenerationPrompt),
            ChatFormat.Phi4Mini => Phi4Mini(messages, addGenerationPrompt),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown chat format."),
        };
    }

    /// <summary>
    /// The format a Jinja <c>chat_template</c> renders, recognised by its marker tokens, or null when it has none of
    /// them (the template is not run; see docs/tokenizers.md for why).
    /// </summary>
    public static ChatFormat? DetectFormat(string chatTemplate)
    {
        ArgumentNullException.ThrowIfNull(chatTemplate);
        if (chatTemplate.Contains("<|start_header_id|>", StringComparison.Ordinal)) return ChatFormat.Llama3Instruct;
        if (chatTemplate.Contains("<|im_start|>", StringComparison.Ordinal)) return ChatFormat.ChatML;
        if (chatTemplate.Contains("[INST]", StringComparison.Ordinal)) return ChatFormat.Llama2Chat;
        if (chatTemplate.Contains("<start_of_turn>", StringComparison.Ordinal)) return ChatFormat.Gemma;
        // Phi-4-mini writes the content straight after "<|role|>"; Phi-3's "<|user|>\n" layout is not matched.
        if (chatTemplate.Contains("'|>' + message['content'] + '<|end|>'", StringComparison.Ordinal)) return ChatFormat.Phi4Mini;
        return null;
    }

    /// <summary>The formats <see cref="DetectFormat(string)"/> recognises, for messages.</summary>
    internal const string KnownFormats = "Llama 2 chat, Llama 3 instruct, ChatML (Qwen2, Qwen3, SmolLM), Gemma, Phi-4-mini";

    /// <summary>
    /// The format of a folder's <c>chat_template</c> (tokenizer_config.json; the "default" one when it lists several),
    /// or null when the folder has no template or an unrecognised one.
    /// </summary>
    public static ChatFormat? DetectFormat(TokenizerFiles tokenizer)
    {
        string? text = TemplateOf(tokenizer);
        return text is null ? null : DetectFormat(text);
    }

    /// <summary>The folder's <c>chat_template</c> text (the "default" one when it lists several), or null when it has none.</summary>
    internal static string? TemplateOf(TokenizerFiles tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (!tokenizer.Files.TryGetValue("tokenizer_config.json", out var bytes)) return null;
        var template = System.Text.Json.Nodes.JsonNode.Parse(bytes)?["chat_template"];
        string? text = template switch
        {
            System.Text.Json.Nodes.JsonValue value => value.GetValue<string>(),
            System.Text.Json.Nodes.JsonArray list => list.FirstOrDefault(t => t?["name"]?.GetValue<string>() == "default")?["template"]?.GetValue<string>(),
            _ => null,
        };
        return text;
    }

    // Llama 2 folds the system prompt into the first user turn and wraps every user turn in [INST] ... [/INST].
    private static string Llama2(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder();
        string? system = messages[0].Role == "system" ? messages[0].Content : null;
        foreach (var message in messages.Skip(system is null ? 0 : 1))
        {
            if (message.Role == "user")
            {
                // As the template does: the system block joins the first user message, then the whole is stripped.
                string content = system is null ? message.Content : $"<<SYS>>\n{system}\n<</SYS>>\n\n{message.Content}";
                system = null;
                text.Append($"<s>[INST] {content.Trim()} [/INST]");
            }
            else if (message.Role == "assistant")
            {
                text.Append($" {message.Content.Trim()} </s>");
            }
            else
            {
                throw new ArgumentException("Llama 2 chat allows a system message only first.", nameof(messages));
            }
        }
        // Llama 2 has no separate generation cue: a prompt ending in [/INST] already asks for the assistant's turn.
        return text.ToString();
    }

    private static string Llama3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder("<|begin_of_text|>");
        foreach (var message in messages)
            text.Append($"<|start_header_id|>{message.Role}<|end_header_id|>\n\n{message.Content.Trim()}<|eot_id|>");
        if (addGenerationPrompt) text.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return text.ToString();
    }

    // As Gemma 3's template: roles alternate starting with the user, the assistant is "model", contents are trimmed.
    private static string Gemma(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder("<bos>");
        string prefix = messages[0].Role == "system" ? messages[0].Content + "\n\n" : "";
        var turns = messages.Skip(messages[0].Role == "system" ? 1 : 0).ToList();
        for (int i = 0; i < turns.Count; i++)
        {
            if ((turns[i].Role == "user") != (i % 2 == 0))
                throw new ArgumentException("Gemma chat needs user and assistant turns to alternate, starting with the user (a system message may come first).", nameof(messages));
            string role = turns[i].Role == "assistant" ? "model" : turns[i].Role;
            text.Append($"<start_of_turn>{role}\n{(i == 0 ? prefix : "")}{turns[i].Content.Trim()}<end_of_turn>\n");
        }
        if (addGenerationPrompt) text.Append("<start_of_turn>model\n");
        return text.ToString();
    }

    private static string Phi4Mini(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder();
        foreach (var message in messages) text.Append($"<|{message.Role}|>{message.Content}<|end|>");
        if (addGenerationPrompt) text.Append("<|assistant|>");
        return text.ToString();
    }

    private static string ChatMl(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder();
        foreach (var message in messages) text.Append($"<|im_start|>{message.Role}\n{message.Content}<|im_end|>\n");
        if (addGenerationPrompt) text.Append("<|im_start|>assistant\n");
        return text.ToString();
    }
}
