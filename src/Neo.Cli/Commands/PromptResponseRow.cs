using System.Globalization;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Evaluation;

namespace Neo.Cli.Commands;

/// <summary>The input row every command feeds to NeoDistill: a prompt and its reference response.</summary>
internal sealed class PromptResponseRow
{
    public string Prompt { get; set; } = "";
    public string Response { get; set; } = "";

    /// <summary>The reference answer, for priming that shows it to the teacher (--answer-key); empty otherwise.</summary>
    public string Answer { get; set; } = "";

    /// <summary>The name of the row's teacher among several (--teacher-key); empty otherwise.</summary>
    public string Teacher { get; set; } = "";

    /// <summary>
    /// An embedded-task problem as a row: its prompt, its worked solution as the response, and the answer that solution
    /// gives (a noisy reference's slip included: the only answer a real dataset with such references would have).
    /// </summary>
    public static PromptResponseRow From(WordProblem problem) => new()
    {
        Prompt = problem.Prompt, Response = problem.Solution,
        Answer = (AnswerExtractor.Extract(problem.Solution) ?? problem.Answer).ToString(CultureInfo.InvariantCulture),
    };
}
