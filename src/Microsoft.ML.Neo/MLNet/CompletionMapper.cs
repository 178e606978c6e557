using Microsoft.ML.Data;

namespace Microsoft.ML.Neo;

/// <summary>A transformer that appends one generated text column computed from some input text columns.</summary>
internal interface ICompletionSource
{
    /// <summary>The text columns a completion is computed from, in the order <see cref="Complete"/> receives them.</summary>
    IReadOnlyList<string> InputColumnNames { get; }

    DataViewSchema GetOutputSchema(DataViewSchema inputSchema);

    string Complete(IReadOnlyList<string> inputs);
}

/// <summary>Row-level mapping for prediction engines: an input row plus the lazily generated completion.</summary>
internal sealed class CompletionMapper : IRowToRowMapper
{
    private readonly ICompletionSource source;

    public CompletionMapper(ICompletionSource source, DataViewSchema inputSchema)
    {
        this.source = source;
        InputSchema = inputSchema;
        OutputSchema = source.GetOutputSchema(inputSchema);
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
            if (column.Index == OutputIndex) needed.UnionWith(source.InputColumnNames.Select(name => InputSchema[name].Index));
            else needed.Add(column.Index);
        }
        return needed.Select(i => InputSchema[i]);
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new CompletionRow(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    /// <summary>A getter of the completion that generates once per row position.</summary>
    public ValueGetter<ReadOnlyMemory<char>> CompletionGetter(DataViewRow input)
    {
        var getters = source.InputColumnNames.Select(name => input.GetGetter<ReadOnlyMemory<char>>(input.Schema[name])).ToArray();
        long cachedPosition = -1;
        ReadOnlyMemory<char> text = default, completion = default;
        return (ref ReadOnlyMemory<char> value) =>
        {
            if (cachedPosition != input.Position)
            {
                var inputs = new string[getters.Length];
                for (int i = 0; i < getters.Length; i++)
                {
                    getters[i](ref text);
                    inputs[i] = text.ToString();
                }
                completion = source.Complete(inputs).AsMemory();
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
