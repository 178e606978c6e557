namespace Microsoft.ML.Neo;

/// <summary>
/// The teacher's prompt under each <see cref="PrimingStrategy"/>. The three texts are the response-priming paper's
/// own, word for word (Goyal et al. 2024, arXiv:2412.17846): Teacher and Ground Truth go before the question, Confidence
/// at the end of it.
/// </summary>
public static class PrimingPrompts
{
    /// <summary>The paper's Teacher priming text.</summary>
    public static readonly string TeacherText =
        "As a teacher, guide your student through solving the question below. Provide a clear, simple explanation for someone unfamiliar with the problem.";

    /// <summary>The paper's Ground Truth priming text.</summary>
    public static readonly string GroundTruthText =
        "As a smart language model, provide a detailed answer that is clear and feasible for smaller models to understand and learn from without losing too much detail.";

    /// <summary>The paper's Confidence priming text, placed at the end of the question.</summary>
    public static readonly string ConfidenceText = "Briefly double-check that your answer is correct once done.";

    public const string QuestionPlaceholder = "{question}";
    public const string AnswerPlaceholder = "{answer}";

    /// <summary>The template each built-in strategy stands for (Confidence is placed by <see cref="Render"/>, see there).</summary>
    public static string TemplateOf(PrimingStrategy strategy) => strategy switch
    {
        PrimingStrategy.None => QuestionPlaceholder,
        PrimingStrategy.Teacher => $"{TeacherText}\n\n{QuestionPlaceholder}",
        PrimingStrategy.GroundTruth => $"{GroundTruthText}\n\n{QuestionPlaceholder}",
        PrimingStrategy.GroundTruthWithAnswer => $"{GroundTruthText} The correct answer is {AnswerPlaceholder}.\n\n{QuestionPlaceholder}",
        PrimingStrategy.Confidence => $"{QuestionPlaceholder} {ConfidenceText}",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Custom priming has no built-in template; set PrimingTemplate."),
    };

    /// <summary>True when the strategy puts the reference answer in the teacher's prompt.</summary>
    public static bool NeedsAnswer(PrimingStrategy strategy, string? customTemplate) =>
        strategy == PrimingStrategy.GroundTruthWithAnswer
        || (strategy == PrimingStrategy.Custom && customTemplate?.Contains(AnswerPlaceholder, StringComparison.Ordinal) == true);

    /// <summary>Throws when a custom template cannot work: it must contain <c>{question}</c>.</summary>
    public static void ValidateTemplate(string? template, string optionName = "PrimingTemplate")
    {
        if (string.IsNullOrWhiteSpace(template))
            throw new ArgumentException($"NeoDistillOptions.{optionName} is empty; Custom priming needs a template containing {QuestionPlaceholder}.", optionName);
        if (!template.Contains(QuestionPlaceholder, StringComparison.Ordinal))
            throw new ArgumentException($"NeoDistillOptions.{optionName} '{template}' has no {QuestionPlaceholder} placeholder, so the teacher would never see the question.", optionName);
    }

    /// <summary>
    /// The teacher's prompt for a (student) prompt. Confidence goes at the end of the question: when the prompt's last
    /// line is an answer cue ending in ':' (such as "Answer:"), the text goes just before that line, so the prompt
    /// still ends with the cue; otherwise it is appended.
    /// </summary>
    /// <param name="answer">The reference answer; required when the strategy or template uses <c>{answer}</c>.</param>
    public static string Render(PrimingStrategy strategy, string question, string? answer = null, string? customTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(question);
        if (strategy == PrimingStrategy.Confidence) return WithConfidence(question);
        string template;
        if (strategy == PrimingStrategy.Custom)
        {
            ValidateTemplate(customTemplate);
            template = customTemplate!;
        }
        else
        {
            template = TemplateOf(strategy);
        }
        if (template.Contains(AnswerPlaceholder, StringComparison.Ordinal) && answer is null)
            throw new ArgumentException($"{strategy} priming puts the reference answer in the teacher's prompt, but no answer was given (set NeoDistillOptions.AnswerColumnName).", nameof(answer));
        // One pass, so a question or answer that itself contains a placeholder is left as written.
        return System.Text.RegularExpressions.Regex.Replace(template, @"\{question\}|\{answer\}",
            m => m.Value == QuestionPlaceholder ? question : answer ?? "");
    }

    private static string WithConfidence(string question)
    {
        int lastLine = question.TrimEnd().LastIndexOf('\n');
        if (lastLine > 0)
        {
            string cue = question[(lastLine + 1)..];
            if (cue.TrimEnd().EndsWith(':') && cue.Trim().Length <= 20)
                return $"{question[..lastLine].TrimEnd()} {ConfidenceText}\n{cue}";
        }
        return $"{question.TrimEnd()} {ConfidenceText}";
    }
}
