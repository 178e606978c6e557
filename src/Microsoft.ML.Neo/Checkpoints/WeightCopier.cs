using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Checkpoints;

/// <summary>Copies checkpoint tensors into a model's parameters by name, checking shapes, duplicates and coverage.</summary>
internal sealed class WeightCopier
{
    private readonly Dictionary<string, Parameter> parameters;
    private readonly HashSet<string> seen = new(StringComparer.Ordinal);

    public WeightCopier(nn.Module model)
    {
        parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
    }

    /// <summary>Reads one tensor at a time, so at most one tensor is held beside the model.</summary>
    public void CopyAll(SafeTensorsReader reader, string source)
    {
        foreach (var name in reader.Tensors.Keys)
        {
            if (!parameters.TryGetValue(name, out var target))
            {
                // transformers sometimes stores this buffer; it is recomputed here.
                if (name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)) continue;
                throw new InvalidDataException($"'{source}': tensor '{name}' does not belong to this model architecture.");
            }
            if (!seen.Add(name)) throw new InvalidDataException($"'{source}': tensor '{name}' appears in more than one shard.");
            using var value = reader.Read(name); // stored dtype; copy_ converts to float32
            if (!value.shape.SequenceEqual(target.shape))
                throw new InvalidDataException(
                    $"'{source}': tensor '{name}' has shape [{string.Join(", ", value.shape)}], " +
                    $"the model expects [{string.Join(", ", target.shape)}].");
            using (no_grad()) target.copy_(value);
        }
    }

    public void EnsureComplete(string source)
    {
        var missing = parameters.Keys.Where(n => !seen.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"'{source}' lacks {missing.Count} weight(s) of the model, e.g. '{missing[0]}'.");
    }
}
