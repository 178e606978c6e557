using System.Text.RegularExpressions;
using Microsoft.ML.Neo.Checkpoints;
using static TorchSharp.torch.ScalarType;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// A student made from a teacher by keeping some of its decoder layers (with its embeddings, final norm and head): the
/// student shares the teacher's tokenizer and width, and starts from trained weights rather than random ones.
/// </summary>
internal static partial class LayerSelection
{
    /// <summary><paramref name="count"/> layer indices spread evenly over <paramref name="total"/>, first and last included.</summary>
    public static int[] EvenlySpaced(int total, int count)
    {
        if (count < 1 || count > total)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Keep between 1 and {total} layers (the teacher has {total}).");
        if (count == 1) return new[] { 0 };
        return Enumerable.Range(0, count).Select(i => (int)Math.Round(i * (total - 1) / (double)(count - 1))).ToArray();
    }

    /// <summary>Loads the folder's model with only <paramref name="layers"/> (teacher indices, ascending), streaming the kept tensors.</summary>
    public static CausalLM Load(PretrainedFolder folder, IReadOnlyList<int> layers)
    {
        var config = folder.Config;
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] < 0 || layers[i] >= config.NumHiddenLayers || (i > 0 && layers[i] <= layers[i - 1]))
                throw new ArgumentException($"Layer indices must ascend within [0, {config.NumHiddenLayers}); got [{string.Join(", ", layers)}].", nameof(layers));
        }
        var position = layers.Select((teacherLayer, studentLayer) => (teacherLayer, studentLayer)).ToDictionary(p => p.teacherLayer, p => p.studentLayer);
        // Per-layer settings follow their layers: a kept sliding-window or NoPE layer stays one.
        var kept = config with
        {
            NumHiddenLayers = layers.Count,
            LayerTypes = config.LayerTypes is { } types ? layers.Select(l => types[l]).ToArray() : null,
            NoRopeLayers = config.NoRopeLayers is { } noRope ? layers.Select(l => noRope[l]).ToArray() : null,
        };
        var model = folder.LoadModel(kept, Float32, name =>
        {
            var match = LayerName().Match(name);
            if (!match.Success) return name;
            return position.TryGetValue(int.Parse(match.Groups[2].Value), out int student) ? $"{match.Groups[1].Value}{student}{match.Groups[3].Value}" : null;
        });
        return folder.ToCausalLM(model);
    }

    [GeneratedRegex(@"^(model\.layers\.)(\d+)(\..+)$")]
    private static partial Regex LayerName();
}
