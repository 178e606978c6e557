using Microsoft.ML.Data;

namespace Microsoft.ML.Neo;

/// <summary>
/// A completion transformer's output over a whole <see cref="IDataView"/>. Nothing is generated until a completion is
/// read; then the rows from there on are completed a block at a time (<see cref="BlockCompletions"/>).
/// </summary>
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
        // Completions are generated a block of rows at a time through a second cursor over the same rows; a shuffled
        // cursor (rand) would not visit them in the same order, so it completes row by row.
        BlockCompletions? ahead = rand is null && needed.Any(c => c.Index == mapper.OutputIndex)
            ? new BlockCompletions(mapper.Source, input.GetRowCursor(mapper.GetDependencies([mapper.OutputSchema[mapper.OutputIndex]])))
            : null;
        return new CompletionRow(mapper, input.GetRowCursor(inputColumns, rand), needed.Select(c => c.Index).ToHashSet(), ahead);
    }

    // Generation is serialised anyway, so one cursor serves every consumer.
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };
}
