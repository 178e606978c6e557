using System.Globalization;
using Microsoft.ML.Neo.Evaluation;

namespace Microsoft.ML.Neo.Distillation;

/// <summary>
/// Answer-verified sequence KD: each teacher response's final answer (<see cref="AnswerExtractor"/>) is compared with
/// the reference's (the row's answer column, else the answer its reference response gives). A response that agrees, or
/// that cannot be compared (either side has no answer), keeps weight 1; one that disagrees gets
/// <see cref="DataPolicy.MismatchedAnswerWeight"/>, and at 0 it is dropped. Counts are kept for the run's log.
/// </summary>
internal sealed class TeacherAnswerCheck(float mismatchedWeight)
{
    /// <summary>Responses whose answer equals the reference's.</summary>
    public int Agreed { get; private set; }

    /// <summary>Responses whose answer differs from the reference's (or that give none where the reference does).</summary>
    public int Disagreed { get; private set; }

    /// <summary>Rows whose reference gives no answer to compare with: their responses are kept as they are.</summary>
    public int Unverifiable { get; private set; }

    /// <summary>The loss weight of a teacher response to a row, or null when the response is dropped.</summary>
    public float? WeightOf(TrainingRow row, string response)
    {
        var reference = AnswerExtractor.Extract(row.Answer ?? row.Response);
        if (reference is null)
        {
            Unverifiable++;
            return 1;
        }
        if (AnswerExtractor.Extract(response) == reference)
        {
            Agreed++;
            return 1;
        }
        Disagreed++;
        return mismatchedWeight > 0 ? mismatchedWeight : null;
    }

    /// <summary>One line for the run's log.</summary>
    public string Summary()
    {
        string treatment = mismatchedWeight > 0 ? string.Create(CultureInfo.InvariantCulture, $"weighted {mismatchedWeight}") : "dropped";
        string unverifiable = Unverifiable > 0 ? $", {Unverifiable} kept unchecked (the reference gives no answer)" : "";
        return $"teacher answers checked: {Agreed} agree with the reference, {Disagreed} disagree ({treatment}){unverifiable}.";
    }
}
