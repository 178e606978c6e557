using Microsoft.ML.Neo.Distillation;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>
/// One priming a sweep may give the teacher: a <see cref="PrimingStrategy"/>, and for <see cref="PrimingStrategy.Custom"/>
/// the template (with the placeholders <see cref="NeoDistillOptions.PrimingTemplate"/> documents). A list of these is a
/// categorical dimension of <see cref="NeoSearchSpace.Primings"/>.
/// </summary>
/// <param name="Template">The custom template; null for every other strategy (their built-in texts are used).</param>
public sealed record PrimingChoice(PrimingStrategy Strategy, string? Template = null)
{
    /// <summary>A built-in strategy.</summary>
    public static PrimingChoice Of(PrimingStrategy strategy) => new(strategy);

    /// <summary>A custom template.</summary>
    public static PrimingChoice Custom(string template) => new(PrimingStrategy.Custom, template);

    /// <summary>Throws naming the problem: Custom without a template, or a template on a built-in strategy.</summary>
    internal void Validate()
    {
        if (!Enum.IsDefined(Strategy)) throw new ArgumentOutOfRangeException(nameof(Strategy), Strategy, "Unknown priming strategy.");
        if (Strategy == PrimingStrategy.Custom && string.IsNullOrWhiteSpace(Template))
            throw new ArgumentException("A Custom priming choice needs its template: PrimingChoice.Custom(\"...{question}...\").");
        if (Strategy != PrimingStrategy.Custom && Template is not null)
            throw new ArgumentException($"The priming choice {Strategy} has a template, which only Custom uses; write PrimingChoice.Custom(template).");
    }

    /// <summary>The strategy's name, or <c>Custom: "template"</c>.</summary>
    public override string ToString() => Strategy == PrimingStrategy.Custom ? $"Custom: \"{Template}\"" : Strategy.ToString();
}
