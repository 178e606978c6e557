using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo.Training;

/// <summary>
/// Where the trainer's batches come from: fixed examples (today) or examples made as training goes (on-policy
/// generation). Epochs are asked for in order, once each, so a source may keep state between them.
/// </summary>
internal interface IBatchSource
{
    /// <summary>Optimizer steps in one epoch.</summary>
    int StepsPerEpoch { get; }

    /// <summary>The batches of epoch <paramref name="epoch"/> (1-based). A resumed run replays the earlier epochs and
    /// skips their batches, so a source must give the same batches for the same epochs.</summary>
    IEnumerable<IReadOnlyList<EncodedExample>> Epoch(int epoch);

    /// <summary>
    /// The examples step <paramref name="step"/> (0-based) trains on, made from its planned batch just before the step
    /// with the student as it is then: an on-policy source has the student write the responses. Steps a resumed run
    /// skips are never realised. Fixed sources return the batch as planned.
    /// </summary>
    IReadOnlyList<EncodedExample> Realize(IReadOnlyList<EncodedExample> planned, DecoderForCausalLM student, int step, StepPhases phases) => planned;

    /// <summary>What identifies the data for checkpoints: a resumed run must see the same.</summary>
    string Describe();
}
