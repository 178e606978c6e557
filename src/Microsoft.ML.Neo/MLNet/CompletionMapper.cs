using Microsoft.ML.Data;

namespace Microsoft.ML.Neo;

/// <summary>Row-level mapping for prediction engines: an input row plus the lazily generated completion.</summary>
internal sealed class CompletionMapper : IRowToRowMapper
{
    private readonly NeoDistillTransformer transformer;

    public CompletionMapper(NeoDistillTransformer transformer, DataViewSchema inputSchema)
    {
        this.transformer = transformer;
        InputSchema = inputSchema;
        OutputSchema = transformer.GetOutputSchema(inputSchema);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    /// <summary>Index of the completion column in <see cref="OutputSchema"/>; input columns keep their indices.</summary>
    public int OutputIndex => InputSchema.Count;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new HashSet<int>();
        foreach (var column in dependingColumns)
        {
            if (column.Index == OutputIndex) needed.Add(InputSchema[transformer.PromptColumnName].Index);
            else needed.Add(column.Index);
        }
        return needed.Select(i => InputSchema[i]);
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new CompletionRow(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    /// <summary>A getter of the completion that generates once per row position.</summary>
    public ValueGetter<ReadOnlyMemory<char>> CompletionGetter(DataViewRow input)
    {
        var promptGetter = input.GetGetter<ReadOnlyMemory<char>>(input.Schema[transformer.PromptColumnName]);
        long cachedPosition = -1;
        ReadOnlyMemory<char> prompt = default, completion = default;
        return (ref ReadOnlyMemory<char> value) =>
        {
            if (cachedPosition != input.Position)
            {
                promptGetter(ref prompt);
                completion = transformer.Complete(prompt.ToString()).AsMemory();
                cachedPosition = input.Position;
            }
            value = completion;
        };
    }
}

/// <summary>
/// An input row or cursor with the completion column appended. Over a cursor it moves with it; a prediction
/// engine's single row (not a cursor) is never moved.
/// </summary>
internal sealed class CompletionRow : DataViewRowCursor
{
    private readonly CompletionMapper mapper;
    private readonly DataViewRow input;
    private readonly HashSet<int> active;
    private readonly Lazy<ValueGetter<ReadOnlyMemory<char>>> completion;

    public CompletionRow(CompletionMapper mapper, DataViewRow input, HashSet<int> active)
    {
        this.mapper = mapper;
        this.input = input;
        this.active = active;
        completion = new Lazy<ValueGetter<ReadOnlyMemory<char>>>(() => mapper.CompletionGetter(input));
    }

    public override DataViewSchema Schema => mapper.OutputSchema;

    public override long Position => input.Position;

    public override long Batch => input.Batch;

    public override bool MoveNext() => input is DataViewRowCursor cursor
        ? cursor.MoveNext()
        : throw new NotSupportedException("A mapped row follows its input row; it cannot move by itself.");

    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index < mapper.OutputIndex) return input.GetGetter<TValue>(input.Schema[column.Index]);
        if (column.Index != mapper.OutputIndex)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column index {column.Index} is not in this schema.");
        if (typeof(TValue) != typeof(ReadOnlyMemory<char>))
            throw new InvalidOperationException($"Column '{column.Name}' is text; ask for ReadOnlyMemory<char>, not {typeof(TValue).Name}.");
        return (ValueGetter<TValue>)(Delegate)completion.Value;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) input.Dispose();
        base.Dispose(disposing);
    }
}
