namespace Microsoft.ML.Neo.Data.Synthetic;

/// <summary>
/// How a set of reference solutions departs from clean ones, as hand-written or model-written data does
/// (<see cref="StyledWordProblems"/>). The two kinds are drawn independently per problem, a slip first.
/// </summary>
/// <param name="SlipRate">Share of references, in [0, 1], with one arithmetic slip: one of the two steps' results is
/// off by 1 to 3 (or 10), and a slip in the first step carries into the second, so the final answer is wrong too.</param>
/// <param name="AnswerOnlyRate">Share of the remaining references, in [0, 1], that give only the final line
/// <c>#### answer</c> (correct) without the worked steps.</param>
public sealed record ReferenceNoise(double SlipRate, double AnswerOnlyRate)
{
    /// <summary>Clean references: every step right, every solution worked.</summary>
    public static readonly ReferenceNoise None = new(0, 0);

    /// <summary>The embedded distillation task's references: 25 % with a slip, and 15 % of the rest answer-only.</summary>
    public static readonly ReferenceNoise Embedded = new(0.25, 0.15);

    internal void Validate()
    {
        if (!(SlipRate is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(SlipRate), SlipRate, "SlipRate must be in [0, 1].");
        if (!(AnswerOnlyRate is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(AnswerOnlyRate), AnswerOnlyRate, "AnswerOnlyRate must be in [0, 1].");
    }
}
