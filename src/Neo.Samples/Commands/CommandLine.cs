namespace Neo.Samples.Commands;

/// <summary>Minimal "--name value" argument reader for the samples.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> values = new(StringComparer.OrdinalIgnoreCase);

    public CommandLine(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            if (!list[i].StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"Unexpected argument '{list[i]}'; options look like --name value.");
            string name = list[i][2..];
            values[name] = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal) ? list[++i] : "true";
        }
    }

    public string Get(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;

    public int Get(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v) : fallback;

    public double Get(string name, double fallback) =>
        values.TryGetValue(name, out var v) ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    public bool Has(string name) => values.ContainsKey(name);
}
