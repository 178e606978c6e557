namespace Microsoft.ML.Neo.Analysis;

/// <summary>One analysed text: its tokens and every layer's and head's attention map over them.</summary>
public sealed class TextAttention
{
    private readonly float[][][,] maps;

    internal TextAttention(string text, IReadOnlyList<string> tokens, float[][][,] maps)
    {
        Text = text;
        Tokens = tokens;
        this.maps = maps;
        NumberTokens = tokens.Select(TokenKind.IsNumber).ToArray();
        OperatorTokens = tokens.Select(TokenKind.IsOperator).ToArray();
    }

    public string Text { get; }

    /// <summary>The text each token adds (BOS written out), in order; the maps' rows and columns.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>
    /// The [query, key] map of a layer's head (a copy): row q holds how query q spreads its attention over keys 0..q
    /// (the keys it may not see are 0); each row sums to 1.
    /// </summary>
    public float[,] Map(int layer, int head)
    {
        if (layer < 0 || layer >= maps.Length) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The model has {maps.Length} layers.");
        if (head < 0 || head >= maps[layer].Length) throw new ArgumentOutOfRangeException(nameof(head), head, $"The model has {maps[layer].Length} heads.");
        return (float[,])maps[layer][head].Clone();
    }

    internal float[,] MapView(int layer, int head) => maps[layer][head];

    /// <summary>Which tokens are numbers, and which operators (<see cref="TokenKind"/>): read by every head's statistics.</summary>
    internal bool[] NumberTokens { get; }

    internal bool[] OperatorTokens { get; }
}
