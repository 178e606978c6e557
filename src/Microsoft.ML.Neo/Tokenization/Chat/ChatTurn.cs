namespace Microsoft.ML.Neo.Tokenization.Chat;

/// <summary>
/// One turn of a conversation as the hand-written templates read it. Role is "system", "user" or "assistant". The
/// public API takes Microsoft.Extensions.AI's <c>ChatMessage</c>; this is its plain-text form.
/// </summary>
internal sealed record ChatTurn(string Role, string Content)
{
    public static ChatTurn System(string content) => new("system", content);

    public static ChatTurn User(string content) => new("user", content);

    public static ChatTurn Assistant(string content) => new("assistant", content);
}
