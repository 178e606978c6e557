namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>The distillation loss: (1 − w)·CE + w·T²·D, with D one of the <see cref="Divergence"/> functions.</summary>
/// <param name="KdWeight">w, in [0, 1]; 0 is cross-entropy alone and asks no teacher.</param>
/// <param name="Temperature">T, positive.</param>
/// <param name="Divergence">D.</param>
internal sealed record LossSettings(float KdWeight, float Temperature, Divergence Divergence)
{
    /// <summary>Plain cross-entropy on the response tokens.</summary>
    public static readonly LossSettings CrossEntropyOnly = new(0, 1, Divergence.ForwardKL);

    /// <summary>Whether the loss reads the teacher's scores at all.</summary>
    public bool UsesTeacher => KdWeight > 0;
}
