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

    public NeoDistillTransformer Fit(IDataView input) => Fit(input, new RunHooks());

    /// <summary>Fits with extra run hooks (early stopping for sweeps); log, progress and cancellation come from the options.</summary>
    internal NeoDistillTransformer Fit(IDataView input, RunHooks hooks)
    {
        ArgumentNullException.ThrowIfNull(input);
        var rows = ReadRows(input);
        var plan = options.ToPlan();
        using var channel = host.Start("NeoDistill");
        var (student, spec, summary) = DistillationRun.Execute(plan, rows, hooks with
        {
            Log = message => channel.Info(MessageSensitivity.None, "{0}", message),
            Warn = message => channel.Warning(MessageSensitivity.None, "{0}", message),
            Progress = options.Progress,
            Cancellation = options.Cancellation,
        });
        return new NeoDistillTransformer(host, student, options.Clone(), spec, summary);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        TextColumns.Require(inputSchema, options.PromptColumnName, nameof(NeoDistillOptions.PromptColumnName));
        TextColumns.Require(inputSchema, options.ResponseColumnName, nameof(NeoDistillOptions.ResponseColumnName));
        if (!string.IsNullOrWhiteSpace(options.AnswerColumnName))
            TextColumns.Require(inputSchema, options.AnswerColumnName, nameof(NeoDistillOptions.AnswerColumnName));
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[options.OutputColumnName] = new SchemaShape.Column(options.OutputColumnName,
            SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, isKey: false);
        return new SchemaShape(columns.Values);
    }

    private List<TrainingRow> ReadRows(IDataView input)
    {
        var prompt = TextColumns.Require(input.Schema, options.PromptColumnName, nameof(NeoDistillOptions.PromptColumnName));
        var response = TextColumns.Require(input.Schema, options.ResponseColumnName, nameof(NeoDistillOptions.ResponseColumnName));
        var answer = string.IsNullOrWhiteSpace(options.AnswerColumnName) ? (DataViewSchema.Column?)null
            : TextColumns.Require(input.Schema, options.AnswerColumnName, nameof(NeoDistillOptions.AnswerColumnName));
        var columns = answer is null ? new[] { prompt, response } : new[] { prompt, response, answer.Value };
        return TextColumns.ReadAll(input, columns).Select(r => new TrainingRow(r[0], r[1], r.Length > 2 ? r[2] : null)).ToList();
    }
}
