using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Neo;

/// <summary>Loads the teacher; the fitted transformer adds the teacher's (primed) response to each row.</summary>
public sealed class NeoTeacherResponseEstimator : IEstimator<NeoTeacherResponseTransformer>
{
    private readonly IHost host;
    private readonly NeoTeacherResponseOptions options;

    internal NeoTeacherResponseEstimator(IHostEnvironment environment, NeoTeacherResponseOptions options)
    {
        host = environment.Register(nameof(NeoTeacherResponseEstimator));
        this.options = options;
    }

    /// <summary>Nothing is learned: Fit checks the columns and loads the teacher.</summary>
    public NeoTeacherResponseTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new NeoTeacherResponseTransformer(host, options.Clone());
        try
        {
            transformer.GetOutputSchema(input.Schema); // fails early on missing columns
            return transformer;
        }
        catch
        {
            transformer.Dispose();
            throw;
        }
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        TextColumns.Require(inputSchema, options.PromptColumnName, nameof(NeoTeacherResponseOptions.PromptColumnName), nameof(NeoTeacherResponseOptions));
        if (!string.IsNullOrWhiteSpace(options.AnswerColumnName))
            TextColumns.Require(inputSchema, options.AnswerColumnName, nameof(NeoTeacherResponseOptions.AnswerColumnName), nameof(NeoTeacherResponseOptions));
        var columns = inputSchema.ToDictionary(c => c.Name);
        columns[options.OutputColumnName] = new SchemaShape.Column(options.OutputColumnName,
            SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, isKey: false);
        return new SchemaShape(columns.Values);
    }
}
