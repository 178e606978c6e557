namespace Microsoft.ML.Neo.Data;

/// <summary>
/// One GSM8K problem: the question, the reference solution (ending in <c>#### n</c>) and its final answer. The
/// property names make the ML.NET columns <c>Question</c>, <c>Answer</c>, <c>Prompt</c> and <c>FinalAnswer</c>.
/// </summary>
public sealed class Gsm8kProblem
{
    public string Question { get; set; } = "";

    /// <summary>The reference solution as the file has it (or without calculator annotations, when asked).</summary>
    public string Answer { get; set; } = "";

    /// <summary>The prompt a model sees: <c>Question: ...\nAnswer:</c>, the embedded task's format.</summary>
    public string Prompt { get; set; } = "";

    /// <summary>The number after <c>####</c>, as text (as GSM8K writes it, without thousands separators).</summary>
    public string FinalAnswer { get; set; } = "";
}
