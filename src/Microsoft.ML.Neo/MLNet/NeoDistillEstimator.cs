using Microsoft.ML.Data;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Neo;

/// <summary>
/// Trains LoRA adapters on a frozen student so it imitates a teacher (LLM-NEO). <see cref="Fit(IDataView)"/> reads every
/// prompt/response row, runs the distillation, and returns a <see cref="NeoDistillTransformer"/>.
/// </summary>
public sealed class NeoDistillEstimator : IEstimator<NeoDistillTransformer>
{
    private readonly IHost host;
    private readonly NeoDistillOptions options;

    internal NeoDistillEstimator(IHostEnvironment environment, NeoDistillOptions options)
    {
        host = environment.Register(nameof(NeoDistillEstimator));
        this.options = options;
    }

    /// <summary>A copy of the options this estimator trains with.</summary>
    public NeoDistillOptions Options => options.Clone();

    /// <summary>
    /// Reads the rows and trains. Log lines go to the host's channel (mlContext.Log), progress to its progress channel
    /// and to <see cref="NeoDistillOptions.Progress"/>; <c>MLContext.CancelExecution</c> and
    /// <see cref="NeoDistillOptions.Cancellation"/> both stop the run between two steps.
    /// </summary>
    public NeoDistillTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var signals = new HostSignals(host, "NeoDistill training", options.Cancellation);
        signals.ThrowIfCanceled();
        var rows = ReadRows(input);
        var plan = options.ToPlan() with
        {
            Validation = options.ValidationData is { } validation
                ? new ValidationPolicy(ReadValidationRows(validation).Select(r => (r.Prompt, r.Response)).ToList(),
                    options.ValidationEverySteps, options.ValidateAnswerAccuracy ? options.MaxNewTokens : 0)
                : null,
        };
        using var channel = host.Start("NeoDistill");
        var (student, spec, summary) = DistillationRun.Execute(plan, rows, new RunHooks
        {
            StopAfter = options.StopEarly,
            Log = message => channel.Info(MessageSensitivity.None, "{0}", message),
            Warn = message => channel.Warning(MessageSensitivity.None, "{0}", message),
            Progress = new StepReport(step =>
            {
                options.Progress?.Report(step);
                signals.Step(step);
            }),
            Cancellation = signals.Token,
        });
        return new NeoDistillTransformer(host, student, options.Clone(), spec, summary);
    }

    // Reports on the training thread, in step order (Progress<T> would post to the thread pool).
    private sealed class StepReport(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    // The column that routes rows among several teachers, when the teacher is a routed mixture.
    private string? RouteColumnName => options.Teacher is TeacherMixture { IsRouted: true } mixture ? mixture.RouteColumnName : null;

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        TextColumns.Require(inputSchema, options.PromptColumnName, nameof(NeoDistillOptions.PromptColumnName));
        TextColumns.Require(inputSchema, options.ResponseColumnName, nameof(NeoDistillOptions.ResponseColumnName));
        if (!string.IsNullOrWhiteSpace(options.AnswerColumnName))
            TextColumns.Require(inputSchema, options.AnswerColumnName, nameof(NeoDistillOptions.AnswerColumnName));
        if (RouteColumnName is { } route)
            TextColumns.Require(inputSchema, route, $"{nameof(NeoDistillOptions.Teacher)}.{nameof(TeacherMixture.RouteColumnName)}");
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[options.OutputColumnName] = new SchemaShape.Column(options.OutputColumnName,
            SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, isKey: false);
        return new SchemaShape(columns.Values);
    }

    // The validation rows need the prompt and response columns only; a missing one is named as the validation data's.
    private List<TrainingRow> ReadValidationRows(IDataView validation)
    {
        try
        {
            return ReadRows(validation, withAnswers: false);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentOutOfRangeException(e.ParamName, e.ActualValue, "NeoDistillOptions.ValidationData: " + e.Message.Split(" (Parameter")[0]);
        }
    }

    private List<TrainingRow> ReadRows(IDataView input, bool withAnswers = true)
    {
        var prompt = TextColumns.Require(input.Schema, options.PromptColumnName, nameof(NeoDistillOptions.PromptColumnName));
        var response = TextColumns.Require(input.Schema, options.ResponseColumnName, nameof(NeoDistillOptions.ResponseColumnName));
        var answer = !withAnswers || string.IsNullOrWhiteSpace(options.AnswerColumnName) ? (DataViewSchema.Column?)null
            : TextColumns.Require(input.Schema, options.AnswerColumnName, nameof(NeoDistillOptions.AnswerColumnName));
        var teacher = !withAnswers || RouteColumnName is not { } route ? (DataViewSchema.Column?)null
            : TextColumns.Require(input.Schema, route, $"{nameof(NeoDistillOptions.Teacher)}.{nameof(TeacherMixture.RouteColumnName)}");
        var columns = new List<DataViewSchema.Column> { prompt, response };
        if (answer is { } answerColumn) columns.Add(answerColumn);
        if (teacher is { } teacherColumn) columns.Add(teacherColumn);
        return TextColumns.ReadAll(input, columns).Select(r => new TrainingRow(r[0], r[1], answer is null ? null : r[2], teacher is null ? null : r[^1])).ToList();
    }
}
