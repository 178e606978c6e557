namespace Microsoft.ML.Neo;

/// <summary>The number format the models' frozen weights are held and multiplied in.</summary>
public enum ComputePrecision
{
    /// <summary>
    /// BFloat16 where bf16 matrix products are known to beat float32 (a CPU with AMX-BF16, an AMD CPU with AVX512_BF16,
    /// or a CUDA GPU), Float32 elsewhere (including Intel CPUs with AVX512_BF16 but no AMX, where bf16 measured half
    /// as fast as float32).
    /// </summary>
    Auto,

    /// <summary>Everything in float32: the exact reference path.</summary>
    Float32,

    /// <summary>
    /// Frozen weights (student base, teacher) in bfloat16 and their matrix products in bf16; LoRA adapters, their
    /// gradients and optimizer state, RMSNorm statistics, softmax and the loss stay float32.
    /// </summary>
    BFloat16,
}
