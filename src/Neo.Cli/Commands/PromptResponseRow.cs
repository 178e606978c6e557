namespace Neo.Cli.Commands;

/// <summary>The input row every sample feeds to NeoDistill: a prompt and its reference response.</summary>
internal sealed class PromptResponseRow
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";
}
