using Microsoft.ML.Neo.Modeling;

namespace Neo.Benchmarks;

/// <summary>
/// Model FLOPs per trained token, counted from the architecture (matmuls only; norms, softmax and activations are
/// left out, as in the usual MFU convention). A matmul with an [n, k] weight costs 2·n·k per token forward.
/// Attention scores and the weighted sum cost 4·T·(heads·head_dim) per token and layer forward, with T the sequence length.
/// </summary>
internal static class FlopCounter
{
    /// <summary>Parameters in the linear layers of one forward pass (q, k, v, o, gate, up, down, output head).</summary>
    public static double LinearParameters(ModelConfig c)
    {
        double attentionWidth = c.NumAttentionHeads * c.ResolvedHeadDim, kvWidth = c.NumKeyValueHeads * c.ResolvedHeadDim;
        double perLayer = c.HiddenSize * (2 * attentionWidth + 2 * kvWidth) + 3.0 * c.HiddenSize * c.IntermediateSize;
        return c.NumHiddenLayers * perLayer + (double)c.HiddenSize * c.VocabSize;
    }

    private static double AttentionForward(ModelConfig c, int length) =>
        4.0 * c.NumHiddenLayers * length * c.NumAttentionHeads * c.ResolvedHeadDim;

    /// <summary>Forward 1×, backward 2× (gradients of inputs and of weights): 6·N plus 3× the attention forward.</summary>
    public static double FullTrainingPerToken(ModelConfig student, int length) =>
        6 * LinearParameters(student) + 3 * AttentionForward(student, length);

    /// <summary>
    /// Teacher forward (2·N_t + attention), student forward plus a backward that needs input gradients only through
    /// the frozen weights (2·N_s each way), attention 3× forward, and the adapters' own 6·N_lora.
    /// </summary>
    public static double LoraDistillationPerToken(ModelConfig student, ModelConfig teacher, int rank, int length)
    {
        double c = student.HiddenSize, i = student.IntermediateSize;
        double q = student.NumAttentionHeads * student.ResolvedHeadDim, kv = student.NumKeyValueHeads * student.ResolvedHeadDim;
        // Each adapter holds rank·(in + out) weights: q, k, v, o, gate, up, down.
        double loraPerLayer = rank * ((c + q) + 2 * (c + kv) + (q + c) + 2 * (c + i) + (i + c));
        double lora = student.NumHiddenLayers * loraPerLayer;
        return 2 * LinearParameters(teacher) + AttentionForward(teacher, length)
             + 4 * LinearParameters(student) + 3 * AttentionForward(student, length)
             + 6 * lora;
    }
}
