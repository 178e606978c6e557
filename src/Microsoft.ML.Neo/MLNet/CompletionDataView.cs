using Microsoft.ML.Data;

namespace Microsoft.ML.Neo;

/// <summary>A completion transformer's output over a whole <see cref="IDataView"/>. Nothing is generated until a completion is read.</summary>
internal sealed class CompletionDataView : IDataView
{
    private readonly IDataView input;
    private readonly CompletionMapper mapper;

    public CompletionDataView(ICompletionSource source, IDataView input)
    {
        this.input = input;
        mapper = new CompletionMapper(source, input.Schema);
    }

    public bool CanShuffle => input.CanShuffle;

    public DataViewSchema Schema => mapper.OutputSchema;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        var inputColumns = mapper.GetDependencies(needed);
        return new CompletionRow(mapper, input.GetRowCursor(inputColumns, rand), needed.Select(c => c.Index).ToHashSet());
    }

    // Generation is serialised anyway, so one cursor serves every consumer.
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };
}
