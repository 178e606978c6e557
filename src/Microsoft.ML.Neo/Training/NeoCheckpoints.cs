using Microsoft.ML.Neo.Training;

namespace Microsoft.ML.Neo;

/// <summary>
/// The training checkpoints that <see cref="NeoDistillOptions.CheckpointDirectory"/> names, seen from outside a run: an
/// app (or the neo tool) can say that a run will continue, and clear them once the model is saved.
/// </summary>
public static class NeoCheckpoints
{
    /// <summary>
    /// Whether a <c>Fit</c> with this <see cref="NeoDistillOptions.CheckpointDirectory"/> would continue from a checkpoint:
    /// the folder itself, or one of the siblings a save leaves behind when it is cut short (".writing", ".previous").
    /// </summary>
    public static bool CanResume(string checkpointDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointDirectory);
        return TrainingCheckpoint.AnyIn(checkpointDirectory);
    }

    /// <summary>
    /// Deletes the checkpoint folder and its ".previous" and ".writing" siblings. Call it once the model is saved: a
    /// checkpoint left behind would make the next run with other settings in the same folder refuse to start.
    /// </summary>
    public static void Delete(string checkpointDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointDirectory);
        TrainingCheckpoint.DeleteAll(checkpointDirectory);
    }
}
