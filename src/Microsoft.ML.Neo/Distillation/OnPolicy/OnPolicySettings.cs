namespace Microsoft.ML.Neo.Distillation.OnPolicy;

/// <summary>How often and how the student writes its own training responses, already validated by the public options.</summary>
/// <param name="Fraction">λ, in [0, 1]: the share of steps whose responses the student samples; 0 is off.</param>
/// <param name="Temperature">The student's sampling temperature, positive.</param>
/// <param name="MaxNewTokens">Most tokens of each sample, at least 1 (the context also bounds it).</param>
internal sealed record OnPolicySettings(float Fraction, float Temperature, int MaxNewTokens)
{
    public bool Enabled => Fraction > 0;
}
