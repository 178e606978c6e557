using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>Keys and values of every layer for the tokens seen so far, so decoding feeds one new token per step.</summary>
internal sealed class KvCache : IDisposable
{
    internal KvCache(int layers)
    {
        Layers = Enumerable.Range(0, layers).Select(_ => new LayerKvCache()).ToArray();
    }

    internal LayerKvCache[] Layers { get; }

    /// <summary>Number of positions cached.</summary>
    public long Length => Layers[0].Length;

    /// <summary>Keeps only the given rows of the batch (int64 indices [B']), in that order: finished sequences leave.</summary>
    public void KeepRows(Tensor rows)
    {
        foreach (var layer in Layers) layer.KeepRows(rows);
    }

    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
    }
}

/// <summary>One layer's cached keys and values, [B, KV, S, D] each. Owns its tensors outside any dispose scope.</summary>
internal sealed class LayerKvCache : IDisposable
{
    private Tensor? keys;
    private Tensor? values;

    public long Length => keys?.shape[2] ?? 0;

    /// <summary>Appends k, v [B, KV, T, D] and returns the full keys and values [B, KV, S, D] for this step's scope.</summary>
    public (Tensor Keys, Tensor Values) Append(Tensor k, Tensor v)
    {
        var newKeys = keys is null ? k.detach().clone() : cat(new[] { keys, k.detach() }, dim: 2);
        var newValues = values is null ? v.detach().clone() : cat(new[] { values, v.detach() }, dim: 2);
        // The cache outlives the caller's dispose scope; the previous step's tensors are released here.
        newKeys.DetachFromDisposeScope();
        newValues.DetachFromDisposeScope();
        keys?.Dispose();
        values?.Dispose();
        keys = newKeys;
        values = newValues;
        return (keys.alias(), values.alias());
    }

    /// <summary>Keeps only the given rows (int64 indices [B']) of the cached keys and values.</summary>
    public void KeepRows(Tensor rows)
    {
        if (keys is null || values is null) return;
        var keptKeys = keys.index_select(0, rows).DetachFromDisposeScope();
        var keptValues = values.index_select(0, rows).DetachFromDisposeScope();
        keys.Dispose();
        values.Dispose();
        (keys, values) = (keptKeys, keptValues);
    }

    public void Dispose()
    {
        keys?.Dispose();
        values?.Dispose();
        keys = values = null;
    }
}
