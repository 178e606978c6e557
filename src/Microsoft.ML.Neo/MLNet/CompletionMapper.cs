using Microsoft.ML.Data;

namespace Microsoft.ML.Neo;

/// <summary>A transformer that appends one generated text column computed from some input text columns.</summary>
internal interface ICompletionSource
{
    /// <summary>The text columns a completion is computed from, in the order <see cref="Complete"/> receives them.</summary>
    IReadOnlyList<string> InputColumnNames { get; }

    DataViewSchema GetOutputSchema(DataViewSchema inputSchema);

    string Complete(IReadOnlyList<string> inputs);

    /// <summary>Completions of many rows' inputs at once (a source that batches its generation overrides it).</summary>
    IReadOnlyList<string> CompleteMany(IReadOnlyList<IReadOnlyList<string>> rows) => rows.Select(Complete).ToList();
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

    /// <summary>
    /// A getter of the completion that generates once per row position. With <paramref name="ahead"/> (a cursor over
    /// the same data, in the same order) the completions of the next rows are generated together, a block at a time.
    /// </summary>
    public ValueGetter<ReadOnlyMemory<char>> CompletionGetter(DataViewRow input, BlockCompletions? ahead = null)
    {
        var getters = source.InputColumnNames.Select(name => input.GetGetter<ReadOnlyMemory<char>>(input.Schema[name])).ToArray();
        long cachedPosition = -1;
        ReadOnlyMemory<char> completion = default;
        return (ref ReadOnlyMemory<char> value) =>
        {
            if (cachedPosition != input.Position)
            {
                if (ahead?.TryGet(input.Position) is string blocked)
                {
                    completion = blocked.AsMemory();
                }
                else
                {
                    completion = source.Complete(ReadInputs(getters)).AsMemory();
                }
                cachedPosition = input.Position;
            }
            value = completion;
        };
    }

    public ICompletionSource Source => source;

    /// <summary>The current row's input texts, in the order the source's <see cref="ICompletionSource.Complete"/> takes them.</summary>
    internal static string[] ReadInputs(ValueGetter<ReadOnlyMemory<char>>[] getters)
    {
        ReadOnlyMemory<char> text = default;
        var inputs = new string[getters.Length];
        for (int i = 0; i < getters.Length; i++)
        {
            getters[i](ref text);
            inputs[i] = text.ToString();
        }
        return inputs;
    }
}

/// <summary>
/// Completions a block of rows at a time, read through a second cursor over the same data that runs ahead of the
/// consumer's: when row p is asked for, rows p .. p+B-1 are read and completed together (one batched generation).
/// </summary>
internal sealed class BlockCompletions : IDisposable
{
    /// <summary>Rows completed together.</summary>
    public const int BlockSize = 16;

    private readonly ICompletionSource source;
    private readonly DataViewRowCursor ahead;
    private readonly ValueGetter<ReadOnlyMemory<char>>[] getters;
    private readonly Dictionary<long, string> completed = new();
    private bool aheadValid = true;

    public BlockCompletions(ICompletionSource source, DataViewRowCursor ahead)
    {
        this.source = source;
        this.ahead = ahead;
        getters = source.InputColumnNames.Select(name => ahead.GetGetter<ReadOnlyMemory<char>>(ahead.Schema[name])).ToArray();
    }

    /// <summary>The completion of the row at <paramref name="position"/>, or null where the look-ahead cannot serve it.</summary>
    public string? TryGet(long position)
    {
        if (completed.Remove(position, out var done)) return done;
        if (!aheadValid || ahead.Position >= position) return null; // already passed: the row is completed alone
        // Rows the consumer skipped are skipped here too, then a block is read and completed at once.
        while (ahead.Position < position - 1 && (aheadValid = ahead.MoveNext())) { }
        var rows = new List<IReadOnlyList<string>>();
        var positions = new List<long>();
        while (rows.Count < BlockSize && aheadValid && (aheadValid = ahead.MoveNext()))
        {
            rows.Add(CompletionMapper.ReadInputs(getters));
            positions.Add(ahead.Position);
        }
        if (rows.Count == 0 || positions[0] != position) return null;
        var completions = source.CompleteMany(rows);
        completed.Clear(); // rows behind are never asked for again
        for (int i = 0; i < rows.Count; i++) completed[positions[i]] = completions[i];
        return completed.Remove(position, out done) ? done : null;
    }

    public void Dispose() => ahead.Dispose();
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

    private readonly BlockCompletions? ahead;

    /// <param name="ahead">Completes rows a block at a time through a cursor running ahead; null: row by row.</param>
    public CompletionRow(CompletionMapper mapper, DataViewRow input, HashSet<int> active, BlockCompletions? ahead = null)
    {
        this.mapper = mapper;
        this.input = input;
        this.active = active;
        this.ahead = ahead;
        completion = new Lazy<ValueGetter<ReadOnlyMemory<char>>>(() => mapper.CompletionGetter(input, ahead));
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
        if (disposing)
        {
            input.Dispose();
            ahead?.Dispose();
        }
        base.Dispose(disposing);
    }
}
