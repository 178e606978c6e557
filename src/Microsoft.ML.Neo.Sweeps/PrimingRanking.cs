using System.Globalization;
using System.Text;

namespace Microsoft.ML.Neo.Sweeps;

/// <summary>One candidate priming, measured two ways: how often the primed teacher is right, and what the student gains from it.</summary>
/// <param name="TeacherAccuracy">Answer accuracy of the primed teacher's own responses to the validation prompts, checked against the references.</param>
/// <param name="StudentAccuracy">Answer accuracy on the validation prompts of the student distilled from the teacher so primed.</param>
/// <param name="StudentGain">StudentAccuracy minus the student's accuracy before distillation.</param>
public sealed record PrimingRank(PrimingChoice Priming, double TeacherAccuracy, double StudentAccuracy, double StudentGain);

/// <summary>
/// "Which priming helps my student": for each candidate priming, the primed teacher answers the validation prompts (its
/// answers checked against the references, as answer-verified sequence KD checks them), and the student is distilled
/// with that priming and measured on the same prompts. A priming that makes the teacher right more often need not make a
/// better student (the response-priming paper's point), so both numbers are given. Each student run is a trial of a
/// sweep over the primings alone (every other setting from the base options), so a trial log makes it resumable, and
/// with <see cref="NeoDistillOptions.TeacherCacheDirectory"/> the teacher's work is shared with later runs. Run it with
/// <see cref="NeoSweepCatalog.RankPrimings"/>.
/// </summary>
public static class PrimingRanking
{
    /// <summary>The candidates, best student first (ties: the more accurate teacher first).</summary>
    /// <param name="baseOptions">Everything but the priming: models, columns, LoRA and KD settings, seed. Its <see cref="NeoDistillOptions.AnswerColumnName"/>
    /// is needed by the primings that show the teacher the answer.</param>
    /// <param name="trialLog">A JSON-lines trial log for the student runs (resumable); null: none.</param>
    internal static IReadOnlyList<PrimingRank> Rank(MLContext mlContext, NeoDistillOptions baseOptions, IReadOnlyList<PrimingChoice> candidates,
        IDataView train, IDataView validation, string? trialLog = null, IProgress<SweepProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(baseOptions);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (baseOptions.Teacher is not (TeacherModel or TeacherEndpoint) || baseOptions.Teacher is not { } primedTeacher)
            throw new ArgumentException("Ranking primings needs a teacher that writes answers (a TeacherModel or a TeacherEndpoint): its primed answers are checked.", nameof(baseOptions));
        var space = new NeoSearchSpace
        {
            LoraRank = SearchRange.Fixed(baseOptions.LoraRank), Temperature = SearchRange.Fixed(baseOptions.Temperature),
            KdWeight = SearchRange.Fixed(baseOptions.KdWeight), LearningRate = SearchRange.Fixed(baseOptions.LearningRate),
            Primings = candidates,
        };
        space.Validate();

        // The student before distillation, and each primed teacher, answer the validation prompts.
        double before = Accuracy(mlContext, validation, baseOptions, new TeacherModel(baseOptions.StudentModelPath), PrimingChoice.Of(PrimingStrategy.None),
            cache: null, baseOptions.MaxNewTokens);
        var teacher = candidates.ToDictionary(c => c, c => Accuracy(mlContext, validation, baseOptions, primedTeacher, c,
            baseOptions.TeacherCacheDirectory, baseOptions.TeacherMaxNewTokens));

        // The students: one trial per priming.
        var experiment = mlContext.CreateNeoSweepExperiment(baseOptions).SetDataset(train, validation).SetSearchSpace(space)
            .SetTuner(new GridTuner()).SetMaxTrials(candidates.Count).SetMetric(SweepMetric.AnswerAccuracy);
        if (trialLog is not null) experiment.SetTrialLog(trialLog);
        if (progress is not null) experiment.SetProgress(progress);
        using var result = experiment.Run(cancellation);
        return result.Trials.Where(t => t.Metric is double).Select(t => new PrimingRank(t.Parameters.Priming!, teacher[t.Parameters.Priming!], t.Metric!.Value, t.Metric.Value - before))
            .OrderByDescending(r => r.StudentAccuracy).ThenByDescending(r => r.TeacherAccuracy).ToList();
    }

    /// <summary>A Markdown table of a ranking.</summary>
    public static string ToTable(IReadOnlyList<PrimingRank> ranking)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        var table = new StringBuilder();
        table.AppendLine("| rank | priming | teacher's answers right | student accuracy | student gain |");
        table.AppendLine("|---|---|---|---|---|");
        for (int i = 0; i < ranking.Count; i++)
        {
            var r = ranking[i];
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {i + 1} | {r.Priming.ToString().Replace("|", "\\|", StringComparison.Ordinal)} | {100 * r.TeacherAccuracy:F1} % | {100 * r.StudentAccuracy:F1} % | {100 * r.StudentGain:+0.0;-0.0} points |"));
        }
        return table.ToString();
    }

    // Answer accuracy of a model folder's own greedy responses to the prompts, primed as given.
    private static double Accuracy(MLContext ml, IDataView data, NeoDistillOptions baseOptions, NeoTeacher model, PrimingChoice priming, string? cache, int maxNewTokens)
    {
        var options = new NeoTeacherResponseOptions
        {
            Teacher = model, TokenizerPath = baseOptions.StudentModelPath, PromptColumnName = baseOptions.PromptColumnName, AnswerColumnName = baseOptions.AnswerColumnName,
            OutputColumnName = "PrimingRankingResponse", Priming = priming.Strategy, PrimingTemplate = priming.Template,
            MaxNewTokens = maxNewTokens, CacheDirectory = cache, Device = baseOptions.Device, Precision = baseOptions.Precision,
        };
        using var responder = ml.Transforms.NeoTeacherResponses(options).Fit(data);
        return ml.EvaluateAnswers(responder.Transform(data), options.OutputColumnName, baseOptions.ResponseColumnName).Accuracy;
    }
}
