using Microsoft.ML.Neo.Data;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// Everything a distillation run asks of a teacher, wherever it runs: a model in this process (<see cref="LocalTeacher"/>),
/// a cache in front of another teacher (<see cref="CachedTeacher"/>), or a model on a server (<see cref="Served.ServedTeacher"/>). The run, the
/// example builder and the training objective talk to this seam only.
/// </summary>
internal interface ITeacher : IDisposable
{
    /// <summary>What identifies the teacher's outputs (a SHA-256 over its files, say), for cache keys. Computed once, when first read.</summary>
    string Fingerprint { get; }

    /// <summary>The longest sequence the teacher reads.</summary>
    int ContextLength { get; }

    /// <summary>The ids its own files say end a generation (config.json and generation_config.json).</summary>
    IReadOnlySet<int> StopTokenIds { get; }

    /// <summary>A short note on where answers came from, for progress lines (e.g. "6 from the cache at …"); null when there is nothing to say.</summary>
    string? CacheSummary { get; }

    /// <summary>The teacher's greedy continuation of <paramref name="promptIds"/>, without the stop id that ended it.</summary>
    /// <param name="maxNewTokens">Most new tokens; also bounded by the room left in <see cref="ContextLength"/>.</param>
    int[] Generate(int[] promptIds, int maxNewTokens, IReadOnlyCollection<int> stopIds);

    /// <summary>
    /// The greedy continuations of many prompts, in order. A teacher in this process decodes them as one batch; the
    /// default asks <see cref="Generate(int[], int, IReadOnlyCollection{int})"/> once per prompt.
    /// </summary>
    int[][] Generate(IReadOnlyList<int[]> prompts, int maxNewTokens, IReadOnlyCollection<int> stopIds) =>
        prompts.Select(p => Generate(p, maxNewTokens, stopIds)).ToArray();

    /// <summary>
    /// The teacher's scores at the batch's response positions (<see cref="TokenBatch.TeacherResponseRows"/> of
    /// <see cref="TokenBatch.TeacherInputs"/>), restricted to the first <paramref name="vocabulary"/> ids (a padded teacher
    /// has more): dense logits, or top-K ids and logits for a teacher that keeps only those, read chunk by chunk. Made
    /// in the caller's dispose scope, on the batch's device, without gradient.
    /// </summary>
    TeacherBatchScores Score(TokenBatch batch, int vocabulary);

    /// <summary>
    /// The top <paramref name="topK"/> ids and logits (or log-probabilities: the same distribution) at every response
    /// position of each example, handed to <paramref name="store"/> as soon as an example is done, so a cache keeps
    /// everything finished before a failure. <paramref name="store"/> is called one example at a time, possibly from
    /// another thread; ids and logits are positions × K, row-major, best first.
    /// </summary>
    void ScoreTopK(IReadOnlyList<EncodedExample> examples, int vocabulary, int topK, int padId, Action<EncodedExample, int[], float[]> store);

    /// <summary>
    /// Called once before training with every example the run will score: a teacher may work ahead, as a cache fills
    /// itself and then lets the model behind it go. A teacher that scores on demand does nothing.
    /// </summary>
    void PrepareScores(IReadOnlyList<EncodedExample> examples, int vocabulary, int padId, Action<string> log);
}
