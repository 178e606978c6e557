using System.Text;
using Microsoft.ML.Neo.Tokenization.Chat;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Microsoft.ML.Neo;

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
    /// marker with no newline.
    /// </summary>
    Phi4Mini,
    /// <summary>
    /// Phi-3 and Phi-3.5: <c>&lt;|user|&gt;\n…&lt;|end|&gt;\n&lt;|assistant|&gt;\n</c>, each role marker on a line of its own,
    /// no BOS; a conversation not asking for the assistant's turn ends with <c>&lt;|endoftext|&gt;</c>. An empty system
    /// message is left out (as Phi-3.5's template does). The first Phi-3 template, which began with BOS and dropped
    /// system messages, is not rendered.
    /// </summary>
    Phi3,
    /// <summary>
    /// Qwen3: ChatML, with its thinking block. An assistant turn before the last user message keeps only the text after
    /// its <c>&lt;/think&gt;</c>; one after it keeps its reasoning as <c>&lt;think&gt;\n…\n&lt;/think&gt;\n\n</c>. With
    /// <see cref="ChatRenderOptions.EnableThinking"/> false the assistant's turn opens with an empty thinking block.
    /// </summary>
    Qwen3,
    /// <summary>
    /// SmolLM3: ChatML behind a system block of metadata (knowledge cutoff, today's date, the reasoning mode) and
    /// custom instructions (the system message, or SmolLM3's default for the mode). <c>/think</c> or
    /// <c>/no_think</c> in the system message, else <see cref="ChatRenderOptions.EnableThinking"/>, sets the mode;
    /// without thinking each assistant turn opens with an empty thinking block. <c>/system_override</c> replaces the
    /// whole block with the system message. Tool lists render as "None".
    /// </summary>
    SmolLM3,
}

/// <summary>Settings a chat template reads besides the conversation (transformers' <c>chat_template_kwargs</c>).</summary>
public sealed record ChatRenderOptions
{
    /// <summary>
    /// Whether a reasoning model may think before answering (Qwen3's and SmolLM3's <c>enable_thinking</c>; true by
    /// default, as in their templates). Other formats ignore it.
    /// </summary>
    public bool EnableThinking { get; init; } = true;

    /// <summary>The date a template writes (SmolLM3's "Today Date"); null means today, in local time as transformers' <c>strftime_now</c>.</summary>
    public DateOnly? Today { get; init; }
}

/// <summary>
/// Renders conversations as the text the models were trained on, written out by hand for each format (what the
/// models' Jinja <c>chat_template</c>s produce), ending with the cue for the assistant's next turn.
/// </summary>
public static class ChatPrompt
{
    /// <summary>The text to tokenize (special tokens appear as their text, e.g. <c>&lt;|eot_id|&gt;</c>).</summary>
    /// <param name="messages">The conversation; each message's role is system, user or assistant, and its text is rendered.</param>
    /// <param name="addGenerationPrompt">End with the opening of an assistant turn, for generation.</param>
    /// <param name="options">What the template reads besides the messages (thinking, the date); defaults when null.</param>
    public static string Render(ChatFormat format, IReadOnlyList<AIChatMessage> messages, bool addGenerationPrompt = true,
        ChatRenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return Render(format, messages.Select(m => new ChatTurn(m.Role.Value, m.Text)).ToList(), addGenerationPrompt, options);
    }

    internal static string Render(ChatFormat format, IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt = true,
        ChatRenderOptions? options = null)
    {
        options ??= new ChatRenderOptions();
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
            ChatFormat.Phi3 => Phi3(messages, addGenerationPrompt),
            ChatFormat.Qwen3 => ReasoningChatTemplates.Qwen3(messages, addGenerationPrompt, options.EnableThinking),
            ChatFormat.SmolLM3 => ReasoningChatTemplates.SmolLM3(messages, addGenerationPrompt, options.EnableThinking,
                options.Today ?? DateOnly.FromDateTime(DateTime.Now)),
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
        if (chatTemplate.Contains("<|im_start|>", StringComparison.Ordinal))
        {
            // SmolLM3's metadata block and Qwen3's thinking switch, before plain ChatML (Qwen2, SmolLM2).
            if (chatTemplate.Contains("Reasoning Mode: ", StringComparison.Ordinal)) return ChatFormat.SmolLM3;
            if (chatTemplate.Contains("enable_thinking", StringComparison.Ordinal)) return ChatFormat.Qwen3;
            return ChatFormat.ChatML;
        }
        if (chatTemplate.Contains("[INST]", StringComparison.Ordinal)) return ChatFormat.Llama2Chat;
        if (chatTemplate.Contains("<start_of_turn>", StringComparison.Ordinal)) return ChatFormat.Gemma;
        // Phi-4-mini writes the content straight after "<|role|>"; Phi-3's "<|user|>\n" layout is not matched.
        if (chatTemplate.Contains("'|>' + message['content'] + '<|end|>'", StringComparison.Ordinal)) return ChatFormat.Phi4Mini;
        // Phi-3's role markers on lines of their own; the first Phi-3 template (BOS first, no system turn) is not this.
        if (chatTemplate.Contains("<|user|>", StringComparison.Ordinal) && chatTemplate.Contains("<|end|>", StringComparison.Ordinal)
            && chatTemplate.Contains("<|system|>", StringComparison.Ordinal) && !chatTemplate.Contains("bos_token", StringComparison.Ordinal))
            return ChatFormat.Phi3;
        return null;
    }

    /// <summary>The formats <see cref="DetectFormat(string)"/> recognises, for messages.</summary>
    internal const string KnownFormats = "Llama 2 chat, Llama 3 instruct, ChatML (Qwen2, SmolLM2), Qwen3, SmolLM3, Gemma, Phi-3, Phi-4-mini";

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
        // The file parsed when the tokenizer loaded; its text values are decoded only now, so damage can still show here.
        return Integrity.FileReading.Guard("tokenizer_config.json", Integrity.FileReading.Fixes.ModelFolder, () => TemplateIn(bytes));
    }

    private static string? TemplateIn(byte[] bytes)
    {
        var template = System.Text.Json.Nodes.JsonNode.Parse(bytes)?["chat_template"];
        // A template of another shape than transformers writes counts as none.
        static string? Text(System.Text.Json.Nodes.JsonNode? node) =>
            node is System.Text.Json.Nodes.JsonValue value && value.TryGetValue(out string? text) ? text : null;
        return template switch
        {
            System.Text.Json.Nodes.JsonValue => Text(template),
            System.Text.Json.Nodes.JsonArray list => Text(list.FirstOrDefault(t => t is System.Text.Json.Nodes.JsonObject o && Text(o["name"]) == "default")?["template"]),
            _ => null,
        };
    }

    // Llama 2 folds the system prompt into the first user turn and wraps every user turn in [INST] ... [/INST].
    private static string Llama2(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt)
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

    private static string Llama3(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder("<|begin_of_text|>");
        foreach (var message in messages)
            text.Append($"<|start_header_id|>{message.Role}<|end_header_id|>\n\n{message.Content.Trim()}<|eot_id|>");
        if (addGenerationPrompt) text.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return text.ToString();
    }

    // As Gemma 3's template: roles alternate starting with the user, the assistant is "model", contents are trimmed.
    private static string Gemma(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt)
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

    private static string Phi4Mini(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder();
        foreach (var message in messages) text.Append($"<|{message.Role}|>{message.Content}<|end|>");
        if (addGenerationPrompt) text.Append("<|assistant|>");
        return text.ToString();
    }

    // As Phi-3.5-mini's template: an empty system message is skipped; without a generation cue the text ends in EOS.
    private static string Phi3(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder();
        foreach (var message in messages.Where(m => !(m.Role == "system" && m.Content.Length == 0)))
            text.Append($"<|{message.Role}|>\n{message.Content}<|end|>\n");
        text.Append(addGenerationPrompt ? "<|assistant|>\n" : "<|endoftext|>");
        return text.ToString();
    }

    private static string ChatMl(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt)
    {
        var text = new StringBuilder();
        foreach (var message in messages) text.Append($"<|im_start|>{message.Role}\n{message.Content}<|im_end|>\n");
        if (addGenerationPrompt) text.Append("<|im_start|>assistant\n");
        return text.ToString();
    }
}
