namespace Microsoft.ML.Neo.Analysis;

/// <summary>
/// What one attention head does, averaged over the queries of every analysed text (the first query, which can only see
/// itself, left out).
/// </summary>
/// <remarks>Named properties, not a positional constructor: a statistic added later breaks no caller.</remarks>
public sealed record HeadStatistics
{
    /// <summary>The decoder layer, from 0.</summary>
    public required int Layer { get; init; }

    /// <summary>The query head within the layer, from 0.</summary>
    public required int Head { get; init; }

    /// <summary>Mean entropy of a query's attention, in nats: 0 when it looks at one key, ln(n) when spread evenly over n.</summary>
    public double Entropy { get; init; }

    /// <summary>Mean attention on the first token (BOS where the tokenizer adds one): the "attention sink".</summary>
    public double FirstToken { get; init; }

    /// <summary>Mean attention on the token just before the query.</summary>
    public double PreviousToken { get; init; }

    /// <summary>Mean attention on tokens with a digit in them (the problem's numbers).</summary>
    public double Numbers { get; init; }

    /// <summary>Mean attention on operator tokens (+, −, *, /, =...).</summary>
    public double Operators { get; init; }

    /// <summary>The statistics' names, in the order <see cref="Value"/> numbers them.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { nameof(Entropy), nameof(FirstToken), nameof(PreviousToken), nameof(Numbers), nameof(Operators) };

    /// <summary>A statistic by its name in <see cref="Names"/>.</summary>
    public double Value(string statistic) => statistic switch
    {
        nameof(Entropy) => Entropy,
        nameof(FirstToken) => FirstToken,
        nameof(PreviousToken) => PreviousToken,
        nameof(Numbers) => Numbers,
        nameof(Operators) => Operators,
        _ => throw new ArgumentException($"'{statistic}' is not a head statistic; use one of {string.Join(", ", Names)}.", nameof(statistic)),
    };

    /// <summary>The statistics of one head over the texts.</summary>
    internal static HeadStatistics Of(int layer, int head, IReadOnlyList<TextAttention> texts)
    {
        double entropy = 0, first = 0, previous = 0, numbers = 0, operators = 0;
        long queries = 0;
        foreach (var text in texts)
        {
            var map = text.MapView(layer, head);
            bool[] number = text.NumberTokens, op = text.OperatorTokens;
            for (int q = 1; q < map.GetLength(0); q++)
            {
                for (int k = 0; k <= q && k < map.GetLength(1); k++)
                {
                    double p = map[q, k];
                    if (p > 0) entropy -= p * Math.Log(p);
                    if (number[k]) numbers += p;
                    if (op[k]) operators += p;
                }
                first += map[q, 0];
                previous += map[q, q - 1];
                queries++;
            }
        }
        double n = Math.Max(1, queries);
        return new HeadStatistics
        {
            Layer = layer, Head = head, Entropy = entropy / n, FirstToken = first / n, PreviousToken = previous / n, Numbers = numbers / n, Operators = operators / n,
        };
    }
}
