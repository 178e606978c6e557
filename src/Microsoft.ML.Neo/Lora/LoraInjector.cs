using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Lora;

/// <summary>Freezes a model's base weights, attaches adapters to its target layers, and merges them back.</summary>
internal static class LoraInjector
{
    /// <summary>Freezes every base parameter and attaches an adapter to each target layer, starting the model at its base.</summary>
    /// <param name="initialize">Start each adapter from its layer's weight (PiSSA's singular vectors, DoRA's magnitudes);
    /// false when saved adapter weights are loaded next, which would overwrite that work.</param>
    /// <returns>Number of adapters attached.</returns>
    public static int Apply(DecoderForCausalLM model, LoraSettings settings, bool initialize = true)
    {
        foreach (var parameter in model.parameters()) parameter.requires_grad = false;
        // Names map through the family: on Phi-3, q_proj/k_proj/v_proj mean the fused qkv_proj (one matrix).
        var family = model.Config.Family;
        var targets = settings.TargetModules.Select(family.ProjectionFor).OfType<string>().ToHashSet(StringComparer.Ordinal);
        int attached = 0;
        foreach (var (path, linear) in model.Projections().ToList())
        {
            string leaf = path[(path.LastIndexOf('.') + 1)..];
            if (!targets.Contains(leaf)) continue;
            var adapter = LoraAdapter.Create(linear.InFeatures, linear.OutFeatures, settings);
            if (initialize) adapter.Initialize(linear.Weight);
            linear.Attach(adapter);
            attached++;
        }
        if (attached == 0)
            throw new ArgumentException(
                $"No linear layer matches the LoRA target modules [{string.Join(", ", settings.TargetModules)}]; " +
                $"a {family.Name} model's projections are {string.Join(", ", family.ProjectionNames)}.");
        return attached;
    }

    /// <summary>Adds every adapter's update into its base weight and removes the adapters.</summary>
    public static void Merge(DecoderForCausalLM model)
    {
        foreach (var (_, linear) in model.Projections().ToList()) linear.MergeAdapter();
    }

    /// <summary>The adapters' parameters, by their full names (e.g. <c>model.layers.0.self_attn.q_proj.lora.lora_A</c>).</summary>
    public static IEnumerable<(string Name, Parameter Parameter)> AdapterParameters(nn.Module model) =>
        model.named_parameters().Where(p => p.name.Contains(".lora.", StringComparison.Ordinal))
            .Select(p => (p.name, p.parameter));
}
