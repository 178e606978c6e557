namespace Microsoft.ML.Neo.Evaluation;

/// <summary>What <see cref="AnswerAccuracyEvaluator"/> measured over a data view.</summary>
/// <param name="Accuracy">Correct / Evaluated, in [0, 1]; 0 when nothing was evaluated.</param>
/// <param name="Correct">Rows whose extracted answer equals the reference's.</param>
/// <param name="Evaluated">Rows with a reference answer (the denominator).</param>
/// <param name="ExtractionFailures">Evaluated rows whose prediction holds no number (counted as wrong).</param>
/// <param name="SkippedRows">Rows whose reference holds no number; left out, as ML.NET evaluators skip missing labels.</param>
/// <param name="AnswersByRule">How many predictions each extraction rule answered.</param>
public sealed record AnswerAccuracyMetrics(
    double Accuracy, long Correct, long Evaluated, long ExtractionFailures, long SkippedRows,
    IReadOnlyDictionary<AnswerRule, long> AnswersByRule)
{
    public override string ToString() =>
        $"accuracy {Accuracy:P1} ({Correct}/{Evaluated}), {ExtractionFailures} predictions without a number, {SkippedRows} rows without a reference answer";
}
