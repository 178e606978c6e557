using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// A training forward pass with activation checkpointing: the decoder layers run without building a graph, and only
/// each layer's input is kept ([B, T, C] per layer) instead of every intermediate activation (attention scores,
/// projections, MLP widths). After <see cref="Hidden"/>'s gradient has been backpropagated, <see cref="Backward"/> runs
/// each layer again, last to first, with the random state its forward pass had (so LoRA dropout draws the same mask),
/// and backpropagates through it. The cost is one more forward pass of the layers; the result is the same as without
/// checkpointing up to floating-point rounding. The CPU generator is restored; CUDA's is not (dropout on CUDA with
/// checkpointing would draw other masks in the recomputation).
/// </summary>
internal sealed class CheckpointedPass
{
    private readonly DecoderBackbone body;
    private readonly Tensor inputIds;
    private readonly PositionAngles positions;
    private readonly List<Tensor> layerInputs;   // [B, T, C] each, detached
    private readonly List<Tensor> randomStates;  // the CPU generator before each layer's forward pass
    private readonly Tensor randomAfter;         // ... and after the last one
    private readonly Tensor lastOutput;          // [B, T, C] detached input of the final norm, collecting its gradient

    internal CheckpointedPass(DecoderBackbone body, Tensor inputIds, PositionAngles positions, List<Tensor> layerInputs,
        List<Tensor> randomStates, Tensor randomAfter, Tensor lastOutput, Tensor hidden)
    {
        this.body = body;
        this.inputIds = inputIds;
        this.positions = positions;
        this.layerInputs = layerInputs;
        this.randomStates = randomStates;
        this.randomAfter = randomAfter;
        this.lastOutput = lastOutput;
        Hidden = hidden;
    }

    /// <summary>[B, T, C] final normalised hidden states; their graph reaches back to the last layer's output only.</summary>
    public Tensor Hidden { get; }

    /// <summary>Continues the backward pass from the last layer's output through every layer and the embedding.</summary>
    public void Backward()
    {
        if (lastOutput.grad is not { } gradient) return; // nothing downstream needed the body
        bool ownGradient = false; // the first gradient belongs to lastOutput; later ones are this method's copies
        for (int i = layerInputs.Count - 1; i >= 0; i--)
        {
            using var scope = NewDisposeScope();
            set_rng_state(randomStates[i]);
            var input = layerInputs[i].requires_grad_(true);
            var output = body.Layer(i).Forward(input, positions, null); // [B, T, C], this time with a graph
            output.backward(new[] { gradient });
            var inputGradient = input.grad!.detach().clone().MoveToOuterDisposeScope();
            // Free what the layers below no longer need: the gradient just used, and this layer's input with its grad.
            if (ownGradient) gradient.Dispose();
            layerInputs[i].Dispose();
            gradient = inputGradient;
            ownGradient = true;
        }
        if (body.EmbeddingWeight.requires_grad)
        {
            using var scope = NewDisposeScope();
            body.Embed(inputIds).backward(new[] { gradient });
        }
        if (ownGradient) gradient.Dispose();
        set_rng_state(randomAfter);
    }
}
