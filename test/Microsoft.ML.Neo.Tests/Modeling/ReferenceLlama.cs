using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo.Tests.Modeling;

/// <summary>
/// An independent, deliberately naive Llama forward pass in double precision with plain loops (no TorchSharp),
/// written from the Hugging Face modeling code's definitions: RMSNorm, rotate-half RoPE (with linear / llama3
/// scaling), grouped-query attention with a causal mask, SwiGLU, tied or untied head, optional biases.
/// </summary>
internal sealed class ReferenceLlama
{
    private readonly ModelConfig c;
    private readonly Dictionary<string, (double[] Values, long[] Shape)> w;

    public ReferenceLlama(ModelConfig config, IEnumerable<(string Name, float[] Values, long[] Shape)> weights)
    {
        c = config;
        w = weights.ToDictionary(x => x.Name, x => (x.Values.Select(v => (double)v).ToArray(), x.Shape));
    }

    public double[,] Logits(int[] tokens)
    {
        int T = tokens.Length, C = c.HiddenSize, D = c.ResolvedHeadDim, H = c.NumAttentionHeads, KV = c.NumKeyValueHeads;
        var x = new double[T][];
        var embed = w["model.embed_tokens.weight"].Values;
        for (int t = 0; t < T; t++) x[t] = embed.Skip(tokens[t] * C).Take(C).ToArray();

        double[] inverse = InverseFrequencies(D);
        for (int layer = 0; layer < c.NumHiddenLayers; layer++)
        {
            string p = $"model.layers.{layer}.";
            var normed = x.Select(v => RmsNorm(v, p + "input_layernorm.weight")).ToArray();
            var q = normed.Select(v => Linear(v, p + "self_attn.q_proj")).ToArray();
            var k = normed.Select(v => Linear(v, p + "self_attn.k_proj")).ToArray();
            var val = normed.Select(v => Linear(v, p + "self_attn.v_proj")).ToArray();
            for (int t = 0; t < T; t++)
            {
                for (int h = 0; h < H; h++) Rotate(q[t], h * D, D, t, inverse);
                for (int h = 0; h < KV; h++) Rotate(k[t], h * D, D, t, inverse);
            }
            var attended = new double[T][];
            for (int t = 0; t < T; t++)
            {
                attended[t] = new double[H * D];
                for (int h = 0; h < H; h++)
                {
                    int g = h / (H / KV);
                    var scores = new double[t + 1];
                    for (int s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (int d = 0; d < D; d++) dot += q[t][h * D + d] * k[s][g * D + d];
                        scores[s] = dot / Math.Sqrt(D);
                    }
                    double max = scores.Max(), sum = scores.Sum(v => Math.Exp(v - max));
                    for (int s = 0; s <= t; s++)
                    {
                        double weight = Math.Exp(scores[s] - max) / sum;
                        for (int d = 0; d < D; d++) attended[t][h * D + d] += weight * val[s][g * D + d];
                    }
                }
            }
            for (int t = 0; t < T; t++) x[t] = Add(x[t], Linear(attended[t], p + "self_attn.o_proj"));
            for (int t = 0; t < T; t++)
            {
                var n = RmsNorm(x[t], p + "post_attention_layernorm.weight");
                var gate = Linear(n, p + "mlp.gate_proj");
                var up = Linear(n, p + "mlp.up_proj");
                var hidden = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
                x[t] = Add(x[t], Linear(hidden, p + "mlp.down_proj"));
            }
        }

        string head = w.ContainsKey("lm_head.weight") ? "lm_head" : "model.embed_tokens";
        var logits = new double[T, c.VocabSize];
        for (int t = 0; t < T; t++)
        {
            var final = Linear(RmsNorm(x[t], "model.norm.weight"), head);
            for (int v = 0; v < c.VocabSize; v++) logits[t, v] = final[v];
        }
        return logits;
    }

    private double[] InverseFrequencies(int D)
    {
        var inverse = new double[D / 2];
        for (int i = 0; i < inverse.Length; i++) inverse[i] = Math.Pow(c.RopeTheta, -2.0 * i / D);
        if (c.RopeScaling is { } s)
        {
            for (int i = 0; i < inverse.Length; i++)
            {
                if (s.Type == "linear") { inverse[i] /= s.Factor; continue; }
                double wavelength = 2 * Math.PI / inverse[i];
                double low = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor, high = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
                if (wavelength > low) inverse[i] /= s.Factor;
                else if (wavelength >= high)
                {
                    double smooth = (s.OriginalMaxPositionEmbeddings / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    inverse[i] = (1 - smooth) * inverse[i] / s.Factor + smooth * inverse[i];
                }
            }
        }
        return inverse;
    }

    // Pairs (i, i + D/2) of one head rotate by angle position · inverse[i].
    private static void Rotate(double[] v, int offset, int D, int position, double[] inverse)
    {
        for (int i = 0; i < D / 2; i++)
        {
            double a = v[offset + i], b = v[offset + i + D / 2], angle = position * inverse[i];
            v[offset + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
            v[offset + i + D / 2] = b * Math.Cos(angle) + a * Math.Sin(angle);
        }
    }

    private double[] RmsNorm(double[] v, string weight)
    {
        double meanSquare = v.Sum(a => a * a) / v.Length;
        double scale = 1 / Math.Sqrt(meanSquare + c.RmsNormEps);
        var g = w[weight].Values;
        return v.Select((a, i) => a * scale * g[i]).ToArray();
    }

    private double[] Linear(double[] v, string module)
    {
        var (weight, shape) = w.TryGetValue(module + ".weight", out var found) ? found : w[module];
        int outputs = (int)shape[0], inputs = (int)shape[1];
        var result = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double sum = 0;
            for (int i = 0; i < inputs; i++) sum += weight[o * inputs + i] * v[i];
            result[o] = sum;
        }
        if (w.TryGetValue(module + ".bias", out var bias))
            for (int o = 0; o < outputs; o++) result[o] += bias.Values[o];
        return result;
    }

    private static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();
}
