namespace Microsoft.ML.Neo.Data.Synthetic;

/// <summary>One GSM8K-style problem: a question, a worked solution ending in <c>#### answer</c>, and the answer.</summary>
public sealed record WordProblem(string Question, string Solution, int Answer)
{
    /// <summary>The prompt a model sees: "Question: ...\nAnswer:".</summary>
    public string Prompt => ArithmeticWordProblems.FormatPrompt(Question);
}
