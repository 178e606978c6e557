using Microsoft.ML.Neo.Data;

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

    /// <summary>What identifies the data for checkpoints: a resumed run must see the same.</summary>
    string Describe();
}
