namespace Microsoft.ML.Neo.Generation;

/// <summary>How a prompt longer than a model's context is fitted before generating, the same for every generator.</summary>
internal static class ContextWindow
{
    /// <summary>
    /// The prompt's last <paramref name="contextLength"/> − 1 ids when it is longer, so at least one token can be
    /// generated; the end of a prompt (the question, the cue for the answer) matters more than its start.
    /// </summary>
    public static int[] KeepEnd(int[] promptIds, int contextLength)
    {
        int limit = contextLength - 1;
        return promptIds.Length > limit ? promptIds[^limit..] : promptIds;
    }
}
