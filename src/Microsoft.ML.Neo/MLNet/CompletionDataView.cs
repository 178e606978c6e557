using Microsoft.ML.Data;

namespace Microsoft.ML.Neo;

/// <summary>The transformer's output over a whole <see cref="IDataView"/>. Nothing is generated until a completion is read.</summary>
internal sealed class CompletionDataView : IDataView
{
    private readonly IDataView input;
    private readonly CompletionMapper mapper;

    public CompletionDataView(NeoDistillTransformer transformer, IDataView input)
    {
        this.input = input;
        mapper = new CompletionMapper(transformer, input.Schema);
    }

    public bool CanShuffle => input.CanShuffle;

    public DataViewSchema Schema => mapper.OutputSchema;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        var inputColumns = mapper.GetDependencies(needed);
        return new CompletionCursor(mapper, input.GetRowCursor(inputColumns, rand), needed.Select(c => c.Index).ToHashSet());
    }

    // Generation is serialised anyway, so one cursor serves every consumer.
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class CompletionCursor : DataViewRowCursor
    {
        private readonly CompletionMapper mapper;
        private readonly DataViewRowCursor input;
        private readonly HashSet<int> active;
        private readonly Lazy<ValueGetter<ReadOnlyMemory<char>>> completion;

        public CompletionCursor(CompletionMapper mapper, DataViewRowCursor input, HashSet<int> active)
        {
            this.mapper = mapper;
            this.input = input;
            this.active = active;
            completion = new Lazy<ValueGetter<ReadOnlyMemory<char>>>(() => mapper.CompletionGetter(input));
        }

        public override DataViewSchema Schema => mapper.OutputSchema;

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override bool MoveNext() => input.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            CompletionColumn.Getter<TValue>(column, mapper.OutputIndex, input, completion);

        protected override void Dispose(bool disposing)
        {
            if (disposing) input.Dispose();
            base.Dispose(disposing);
        }
    }
}
