using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>What a run decides about its teacher besides its kind: where answers are kept and how many logits count.</summary>
internal sealed record TeacherSettings
{
    /// <summary>Folder of the generation and score caches; null for none.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>How many of the teacher's logits per response position the loss sees, online and cached alike; 0 for all.</summary>
    public int ScoreTopK { get; init; }

    /// <summary>How a new score cache stores logits.</summary>
    public TeacherCacheEncoding CacheEncoding { get; init; } = TeacherCacheEncoding.Exact;

    /// <summary>How logit KD bridges a teacher with another tokenizer; None requires one shared vocabulary.</summary>
    public CrossTokenizerLoss CrossTokenizer { get; init; } = CrossTokenizerLoss.None;

    /// <summary>
    /// The teacher only writes responses (Sequence mode without logit KD): the student learns their text in its own
    /// tokens, so a teacher with another tokenizer needs no <see cref="CrossTokenizer"/> loss.
    /// </summary>
    public bool WritesTextOnly { get; init; }

    /// <summary>How a teacher in this process holds its weights.</summary>
    public WeightQuantization Quantization { get; init; }

    public bool IsCached => !string.IsNullOrWhiteSpace(CacheDirectory);

    /// <summary>The K a cache keys and keeps: <see cref="ScoreTopK"/>, or every id for the whole distribution.</summary>
    public int CacheTopK => ScoreTopK > 0 ? ScoreTopK : int.MaxValue;
}

/// <summary>What opening a teacher needs from the run.</summary>
/// <param name="StudentTokenizer">For a served teacher, the tokenizer used when the endpoint names none; for a bridge, the student's.</param>
/// <param name="StudentContext">For a served teacher whose server does not say its context length.</param>
/// <param name="ScoresDuringTraining">The teacher scores examples made during training (on-policy samples), so a
/// cache keeps it after precomputing the fixed examples.</param>
/// <param name="Folder">A local teacher's folder as <see cref="NeoTeacher.Check"/> opened it; opened again when null.</param>
/// <param name="Student">For self-distillation: the student being trained, whose base is the teacher.</param>
/// <param name="StudentFolder">For self-distillation: the folder the student was loaded from.</param>
/// <param name="StudentVocabulary">For cross-tokenizer KD: the student's vocabulary size.</param>
internal sealed record TeacherOpening(Device Device, ScalarType Dtype, TokenizerFiles? StudentTokenizer = null, int StudentContext = 0,
    Action<string>? Warn = null, bool ScoresDuringTraining = false, PretrainedFolder? Folder = null, DecoderForCausalLM? Student = null,
    PretrainedFolder? StudentFolder = null, int StudentVocabulary = 0)
{
    public Action<string> WarnOrIgnore => Warn ?? (_ => { });
}

/// <summary>
/// A run's teacher: its kind (<see cref="NeoTeacher"/>, which decides everything that depends on the kind) and the run's
/// <see cref="TeacherSettings"/>. The pieces every kind composes live here: a cache in front, the same top-K online,
/// and the bridge to a student with another tokenizer.
/// </summary>
internal sealed record TeacherSource(NeoTeacher Kind, TeacherSettings Settings)
{
    /// <summary>What names the teacher in a training checkpoint's run identity.</summary>
    public string Identity => Kind.Identity;

    /// <summary>Checks, before any weights are loaded, that teacher and student can be paired.</summary>
    /// <returns>A local teacher's opened folder, to give to <see cref="Open"/>; null otherwise.</returns>
    public PretrainedFolder? Check(PretrainedFolder student, Action<string> warn)
    {
        student.RequireTokenizer("NeoDistill needs the student's tokenizer");
        return Kind.Check(student, Settings, warn);
    }

    /// <summary>Loads or connects to the teacher (and opens its cache), ready for <see cref="ITeacher"/> calls.</summary>
    public ITeacher Open(TeacherOpening opening) => Kind.Open(Settings, opening);

    /// <summary>
    /// A teacher behind the run's cache when there is one; without one, the same top-K applied online, so a cache folder
    /// changes where answers are kept and never what is learned.
    /// </summary>
    public static ITeacher CachedOrTopK(ITeacher teacher, TeacherSettings settings, bool scoresDuringTraining)
    {
        if (settings.IsCached)
            return new CachedTeacher(teacher, settings.CacheDirectory!, settings.CacheTopK, scoresDuringTraining, settings.CacheEncoding);
        return settings.ScoreTopK > 0 ? new TopKTeacher(teacher, settings.ScoreTopK) : teacher;
    }

    /// <summary>
    /// A teacher in its own ids, seen through the student's tokenizer when they differ (for logit KD, when asked to).
    /// Without a student tokenizer (a caller that only reads the teacher's text) there is nothing to bridge to.
    /// </summary>
    public static ITeacher Bridged(ITeacher inner, TeacherSettings settings, TeacherOpening opening, TokenizerFiles teacherTokenizer, int teacherVocabulary) =>
        settings.CrossTokenizer == CrossTokenizerLoss.None && (opening.StudentTokenizer is null || !WritesInOtherTokens(settings, teacherTokenizer, opening.StudentTokenizer))
            ? inner
            : new CrossTokenizerTeacher(inner, opening.StudentTokenizer ?? throw new ArgumentNullException(nameof(opening), "a bridge needs the student's tokenizer"),
                opening.StudentVocabulary, teacherTokenizer, teacherVocabulary, settings.CacheTopK, settings.CrossTokenizer);

    /// <summary>Text-level sequence KD from a teacher with its own tokenizer: its responses are decoded and tokenized again.</summary>
    public static bool WritesInOtherTokens(TeacherSettings settings, TokenizerFiles teacherTokenizer, TokenizerFiles studentTokenizer) =>
        settings.WritesTextOnly && !teacherTokenizer.HasSameVocabularyAs(studentTokenizer);
}
