using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// The rotary angles of one forward call's positions, for each kind of layer: the full-attention layers' (global) and,
/// in families whose sliding-window layers have their own rotary base, the sliding layers' (local). Tensors belong to
/// the caller's dispose scope.
/// </summary>
internal sealed record PositionAngles(Tensor GlobalCos, Tensor GlobalSin, Tensor? LocalCos, Tensor? LocalSin)
{
    /// <summary>
    /// [B] int64: how many pad tokens open each row of a left-padded batch (batched generation); the angles are then
    /// [B, 1, T, R] and attention hides the pads. Null for an unpadded batch.
    /// </summary>
    public Tensor? LeftPadding { get; init; }

    /// <summary>(cos, sin), each [T, R] (or [B, 1, T, R] with padding), for a layer; local angles only where the family has them.</summary>
    public (Tensor Cos, Tensor Sin) For(bool slidingLayer) =>
        slidingLayer && LocalCos is not null ? (LocalCos, LocalSin!) : (GlobalCos, GlobalSin);
}
