using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Checkpoints;

/// <summary>Copies checkpoint tensors into parameters by name, checking shapes, duplicates and coverage.</summary>
internal sealed class WeightCopier
{
    private readonly Dictionary<string, Parameter> parameters;
    private readonly Func<string, string?> toParameterName;
    private readonly HashSet<string> seen = new(StringComparer.Ordinal);

    /// <summary>Fills every parameter of the model; tensor names are the parameters' names.</summary>
    public WeightCopier(nn.Module model)
        : this(model.named_parameters().Select(p => (p.name, p.parameter)), name => name)
    {
    }

    /// <param name="targets">The parameters to fill, by name.</param>
    /// <param name="toParameterName">Maps a tensor name in the file to a parameter name (e.g. PEFT's names to ours), or
    /// to null for a tensor deliberately left out (a dropped layer).</param>
    public WeightCopier(IEnumerable<(string Name, Parameter Parameter)> targets, Func<string, string?> toParameterName)
    {
        parameters = targets.ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        this.toParameterName = toParameterName;
    }

    /// <summary>Reads one tensor at a time, so at most one tensor is held beside the model.</summary>
    public void CopyAll(SafeTensorsReader reader, string source)
    {
        foreach (var fileName in reader.Tensors.Keys)
        {
            // A tensor left out (a dropped layer, a vision tower) is never read.
            if (toParameterName(fileName) is not { } name) continue;
            using var value = reader.Read(fileName); // stored dtype; copy_ converts to the parameter's dtype
            Copy(name, fileName, value, source);
        }
    }

    /// <summary>Copies the named tensors of another model (or any other named source) in memory.</summary>
    public void CopyAll(IEnumerable<(string Name, Tensor Value)> tensors, string source)
    {
        foreach (var (fileName, value) in tensors)
        {
            if (toParameterName(fileName) is { } name) Copy(name, fileName, value, source);
        }
    }

    /// <param name="name">The parameter <paramref name="fileName"/> maps to.</param>
    private void Copy(string name, string fileName, Tensor value, string source)
    {
        if (!parameters.TryGetValue(name, out var target))
        {
            // transformers sometimes stores this buffer; it is recomputed here.
            if (name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)) return;
            throw new InvalidDataException($"'{source}': tensor '{fileName}' does not belong to this model.");
        }
        if (!seen.Add(name)) throw new InvalidDataException($"'{source}': tensor '{fileName}' appears more than once.");
        if (!value.shape.SequenceEqual(target.shape))
            throw new InvalidDataException(
                $"'{source}': tensor '{fileName}' has shape [{string.Join(", ", value.shape)}], " +
                $"the model expects [{string.Join(", ", target.shape)}].");
        using (no_grad()) target.copy_(value);
    }

    public void EnsureComplete(string source)
    {
        var missing = parameters.Keys.Where(n => !seen.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"'{source}' lacks {missing.Count} weight(s) of the model, e.g. '{missing[0]}'.");
    }
}
