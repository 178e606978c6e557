using Microsoft.ML.Data;

namespace Microsoft.ML.Neo.Evaluation;

/// <summary>
/// GSM8K-style answer accuracy over an <see cref="IDataView"/>: the final number of each prediction (found by
/// <see cref="AnswerExtractor"/>) against the reference's, which may be a full solution ending in <c>#### n</c> or a
/// bare number. Rows are streamed through one cursor, so a lazy completion column is generated once per row.
/// </summary>
public static class AnswerAccuracyEvaluator
{
    public static AnswerAccuracyMetrics Evaluate(IDataView data, string predictionColumnName, string referenceColumnName)
    {
        ArgumentNullException.ThrowIfNull(data);
        var prediction = TextColumn(data.Schema, predictionColumnName, nameof(predictionColumnName));
        var reference = TextColumn(data.Schema, referenceColumnName, nameof(referenceColumnName));

        long correct = 0, evaluated = 0, failures = 0, skipped = 0;
        var byRule = Enum.GetValues<AnswerRule>().ToDictionary(r => r, _ => 0L);
        using var cursor = data.GetRowCursor(new[] { prediction, reference });
        var getPrediction = cursor.GetGetter<ReadOnlyMemory<char>>(prediction);
        var getReference = cursor.GetGetter<ReadOnlyMemory<char>>(reference);
        ReadOnlyMemory<char> predicted = default, expected = default;
        while (cursor.MoveNext())
        {
            getReference(ref expected);
            var answer = AnswerExtractor.Extract(expected.ToString());
            if (answer is null)
            {
                skipped++;
                continue;
            }
            getPrediction(ref predicted);
            var (value, rule) = AnswerExtractor.ExtractWithRule(predicted.ToString());
            evaluated++;
            byRule[rule]++;
            if (value is null) failures++;
            else if (value == answer) correct++;
        }
        return new AnswerAccuracyMetrics(evaluated == 0 ? 0 : (double)correct / evaluated, correct, evaluated, failures, skipped, byRule);
    }

    private static DataViewSchema.Column TextColumn(DataViewSchema schema, string name, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameter);
        var column = schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(parameter,
            $"The data has no column '{name}'; its columns are: {string.Join(", ", schema.Select(c => c.Name))}.");
        if (column.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(parameter, $"Column '{name}' is {column.Type}, not text.");
        return column;
    }
}
