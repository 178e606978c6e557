namespace Microsoft.ML.Neo;

/// <summary>How <see cref="CausalLM.Generate(int[], GenerationOptions?)"/> picks tokens.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens to generate after the prompt. 1 or more. Generation also stops at the end-of-sequence token.</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>Sampling temperature. 0 (the default) decodes greedily; above 0 samples from softmax(logits / Temperature).</summary>
    public float Temperature { get; init; }

    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches TopP. In (0, 1]; 1 keeps all.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Seed of the sampler, so sampled completions repeat. Unused when greedy.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Reuse keys and values of earlier positions (the default). False recomputes the whole sequence each step.</summary>
    public bool UseKvCache { get; init; } = true;

    internal void Validate()
    {
        if (MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "MaxNewTokens must be at least 1.");
        if (!(Temperature >= 0) || float.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be 0 (greedy) or a positive finite number.");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
    }
}
