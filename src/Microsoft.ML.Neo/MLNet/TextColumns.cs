using Microsoft.ML.Data;

namespace Microsoft.ML.Neo;

/// <summary>Checks that the columns a transform reads exist and hold text.</summary>
internal static class TextColumns
{
    public static DataViewSchema.Column Require(DataViewSchema schema, string name, string optionName, string optionsClass = nameof(NeoDistillOptions))
    {
        var column = schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(optionName, name,
            $"The input has no column '{name}' ({optionsClass}.{optionName}). Columns: {string.Join(", ", schema.Select(c => c.Name))}.");
        if (column.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(optionName, name,
                $"Column '{name}' ({optionsClass}.{optionName}) must be text (string), but it is {column.Type}.");
        return column;
    }

    /// <summary>Every row's values of some text columns, in column order.</summary>
    public static List<string[]> ReadAll(IDataView data, IReadOnlyList<DataViewSchema.Column> columns)
    {
        var rows = new List<string[]>();
        using var cursor = data.GetRowCursor(columns);
        var getters = columns.Select(c => cursor.GetGetter<ReadOnlyMemory<char>>(c)).ToArray();
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            var row = new string[getters.Length];
            for (int i = 0; i < getters.Length; i++)
            {
                getters[i](ref value);
                row[i] = value.ToString();
            }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The input schema with a text column appended (an input column of the same name is hidden).</summary>
    public static DataViewSchema Append(DataViewSchema inputSchema, string name)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(name, TextDataViewType.Instance);
        return builder.ToSchema();
    }

    public static void Require(SchemaShape shape, string name, string optionName, string optionsClass = nameof(NeoDistillOptions))
    {
        if (!shape.TryFindColumn(name, out var column))
            throw new ArgumentOutOfRangeException(optionName, name, $"The input has no column '{name}' ({optionsClass}.{optionName}).");
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(optionName, name,
                $"Column '{name}' ({optionsClass}.{optionName}) must be a scalar text (string) column.");
    }
}
