using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Distillation.Teachers;

namespace Microsoft.ML.Neo;

/// <summary>
/// The teacher of a run (<see cref="NeoDistillOptions.Teacher"/>), one subclass per kind, as ML.NET's LightGBM takes
/// <c>Booster = new DartBooster.Options { ... }</c>:
/// <list type="table">
/// <listheader><term>kind</term><description>what it is; default top-K; cache</description></listheader>
/// <item><term><see cref="TeacherModel"/></term><description>a Hugging Face folder run in this process; the whole
/// distribution; optional</description></item>
/// <item><term><see cref="TeacherEndpoint"/></term><description>an OpenAI-compatible server (vLLM, NeoServer), with an
/// optional chat client that writes its responses; 20 (vLLM's <c>--max-logprobs</c>); always</description></item>
/// <item><term><see cref="TeacherChatClient"/></term><description>any Microsoft.Extensions.AI chat client that writes
/// responses (sequence KD, no logits); none; always</description></item>
/// <item><term><see cref="TeacherLogits"/></term><description>a dataset of a teacher's top-K log-probabilities; the
/// dataset's own K; always (its scores are copied there)</description></item>
/// <item><term><see cref="SelfTeacher"/></term><description>the student's own frozen base (self-distillation); the whole
/// distribution; optional</description></item>
/// <item><term><see cref="TeacherMixture"/></term><description>several teachers, mixed or routed per row; 64; each
/// member's own</description></item>
/// </list>
/// Each kind validates itself and what it allows of the other options, says how many of its logits a position keeps
/// when <see cref="NeoDistillOptions.TeacherScoreTopK"/> is 0, whether its answers must be kept in a cache, what names
/// it in a cache key and a checkpoint, and how it is opened. Whether a cache folder is given never changes what is
/// learned: the same K applies online and cached.
/// </summary>
public abstract class NeoTeacher
{
    // The kinds are this library's: the run reaches them through internal members only.
    private protected NeoTeacher()
    {
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when the kind's own settings are out of range, or when another option of
    /// <paramref name="options"/> asks for something this kind cannot give (a mode, on-policy steps, a loss).
    /// </summary>
    internal abstract void Validate(NeoDistillOptions options);

    /// <summary>
    /// How many of the teacher's logits each response position keeps when <see cref="NeoDistillOptions.TeacherScoreTopK"/>
    /// is 0: 0 for the whole distribution, online or cached alike.
    /// </summary>
    internal abstract int DefaultTopK { get; }

    /// <summary>The kind's answers are always kept in a cache folder (a server's, a dataset's scores).</summary>
    internal virtual bool NeedsCache => false;

    /// <summary>The kind gives logits (a chat client alone writes text only).</summary>
    internal virtual bool GivesLogits => true;

    /// <summary>What names the teacher in a training checkpoint's run identity.</summary>
    internal abstract string Identity { get; }

    /// <summary>The kind in flag terms, for messages: "--teacher", "--teacher-url", ...</summary>
    internal abstract string Describe();

    /// <summary>
    /// Checks, before any weights are loaded, that this teacher and the student can be paired.
    /// </summary>
    /// <returns>A local teacher's opened folder, handed back to <see cref="Open"/>; null otherwise.</returns>
    internal abstract PretrainedFolder? Check(PretrainedFolder student, TeacherSettings settings, Action<string> warn);

    /// <summary>Loads or connects to the teacher, with the cache and the top-K that <paramref name="settings"/> name.</summary>
    internal abstract ITeacher Open(TeacherSettings settings, TeacherOpening opening);

    /// <summary>A copy whose settings can change without touching this one; clients and callbacks are shared.</summary>
    internal abstract NeoTeacher Clone();

    /// <summary>
    /// The teacher as JSON: its kind under <c>"kind"</c> and its settings by name (paths, URL, model id; never a key or a
    /// client), as sweep logs record it. Two teachers with the same JSON are the same teacher to a log.
    /// </summary>
    public string ToJson() => ToRecord().ToJsonString();

    /// <summary>
    /// The kind as a record for sweep logs: its settings by name, with the kind's name under "kind" (never the options
    /// class itself, so renaming a property does not break a log).
    /// </summary>
    internal abstract System.Text.Json.Nodes.JsonObject ToRecord();
}
