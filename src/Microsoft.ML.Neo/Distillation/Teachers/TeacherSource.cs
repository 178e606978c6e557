using Microsoft.Extensions.AI;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Distillation.Teachers.Served;
using Microsoft.ML.Neo.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// Where a run's teacher comes from: a Hugging Face folder loaded into this process, or a server (an
/// <see cref="TeacherEndpoint"/> and/or a chat client); and whether a cache sits in front of it (always, for a server).
/// </summary>
/// <param name="ModelPath">Hugging Face folder of a teacher loaded into this process; null for a served teacher.</param>
/// <param name="CacheDirectory">Folder of the generation and score caches; null or empty for none.</param>
/// <param name="ScoreTopK">With a cache: how many of the teacher's logits per response position are kept.</param>
internal sealed record TeacherSource(string? ModelPath, string? CacheDirectory, int ScoreTopK)
{
    /// <summary>Several teachers, each a source of its own; null for one.</summary>
    public IReadOnlyList<TeacherMember>? Members { get; init; }

    /// <summary>With <see cref="Members"/>: each example learns from the teacher its row names, not from their mixture.</summary>
    public bool RoutedByName { get; init; }

    /// <summary>A teacher on an OpenAI-compatible server.</summary>
    public TeacherEndpoint? Endpoint { get; init; }

    /// <summary>A chat client that writes the teacher's responses (sequence-level KD), instead of the endpoint's own.</summary>
    public IChatClient? ChatClient { get; init; }

    /// <summary>How a new score cache stores logits.</summary>
    public TeacherCacheEncoding CacheEncoding { get; init; } = TeacherCacheEncoding.Compact;

    /// <summary>How logit KD bridges a teacher with another tokenizer; None requires one shared vocabulary.</summary>
    public CrossTokenizerLoss CrossTokenizer { get; init; } = CrossTokenizerLoss.None;

    /// <summary>
    /// The teacher only writes responses (Sequence mode without logit KD): the student learns their text in its own
    /// tokens, so a teacher with another tokenizer needs no <see cref="CrossTokenizer"/> loss.
    /// </summary>
    public bool WritesTextOnly { get; init; }

    /// <summary>How a teacher in this process holds its weights (quantized codes, dequantized per layer, or as loaded).</summary>
    public WeightQuantization Quantization { get; init; }

    /// <summary>Self-distillation: the teacher is the student's own frozen base (adapters off), no second model.</summary>
    public bool IsStudentBase { get; init; }

    /// <summary>A dataset of the teacher's logits, read instead of running a teacher.</summary>
    public TeacherLogits? Logits { get; init; }

    public bool IsServed => Members is null && IsServedTeacher;

    private bool IsServedTeacher => Endpoint is not null || ChatClient is not null;

    public bool IsCached => !string.IsNullOrWhiteSpace(CacheDirectory);

    /// <summary>What names the teacher in a training checkpoint's run identity.</summary>
    public string Identity => Members is not null
        ? $"{(RoutedByName ? "routed" : "mixture")}:{string.Join(";", Members.Select(m => $"{m.Name}={m.Weight}@{m.Source.Identity}"))}"
        : IsStudentBase ? "self"
        : Logits is not null ? $"logits:{Path.GetFullPath(Logits.Path)}"
        : IsServed
        ? $"served:{Endpoint?.Model ?? ChatClient?.GetService<ChatClientMetadata>()?.DefaultModelId ?? ""}"
        : Path.GetFullPath(ModelPath!);

    /// <summary>Checks, before any weights are loaded, that teacher and student can be paired.</summary>
    /// <returns>A local teacher's opened folder, to give to <see cref="Open"/>; null for a served teacher.</returns>
    public PretrainedFolder? Check(PretrainedFolder student, Action<string> warn)
    {
        var studentTokenizer = student.RequireTokenizer("NeoDistill needs the student's tokenizer");
        if (Members is not null)
        {
            foreach (var member in Members) member.Source.Check(student, warn);
            return null;
        }
        if (Logits is not null || IsStudentBase) return null; // a dataset's ids are checked as rows are read; the base is the student
        if (!IsServed)
        {
            var teacher = PretrainedFolder.Open(ModelPath!, "teacher");
            if (CrossTokenizer != CrossTokenizerLoss.None)
                teacher.RequireTokenizer("Cross-tokenizer KD tokenizes every example again for the teacher: it needs the teacher's tokenizer");
            else if (!(teacher.Tokenizer is { } own && WritesInOtherTokens(own, studentTokenizer)))
                VocabularyCheck.Ensure(teacher, student, studentTokenizer, warn);
            return teacher;
        }
        if (CrossTokenizer == CrossTokenizerLoss.None && ServedTokenizer(studentTokenizer) is var teacherTokenizer && !teacherTokenizer.HasSameVocabularyAs(studentTokenizer)
            && !WritesTextOnly)
            throw new InvalidDataException(
                $"The served teacher's tokenizer ('{Endpoint!.TokenizerPath}', {teacherTokenizer.Kind} tokenizer, {teacherTokenizer.VocabularySize} ids) and the student's " +
                $"('{student.Directory}', {studentTokenizer.Kind} tokenizer, {studentTokenizer.VocabularySize} ids) disagree; logit distillation needs one shared vocabulary.");
        return null;
    }

    /// <summary>Loads or connects to the teacher (and opens its cache), ready for <see cref="ITeacher"/> calls.</summary>
    /// <param name="studentTokenizer">For a served teacher: the tokenizer used when the endpoint names none of its own.</param>
    /// <param name="studentContext">For a served teacher whose server does not say its context length.</param>
    /// <param name="scoresDuringTraining">The teacher scores examples made during training (on-policy samples), so a
    /// cache keeps it after precomputing the fixed examples.</param>
    /// <param name="folder">A local teacher's folder as <see cref="Check"/> opened it; opened here when null.</param>
    /// <param name="student">For self-distillation: the student being trained, whose base is the teacher.</param>
    /// <param name="studentFolder">For self-distillation: the folder the student was loaded from.</param>
    /// <param name="studentVocabulary">For cross-tokenizer KD: the student's vocabulary size.</param>
    public ITeacher Open(Device device, ScalarType dtype, TokenizerFiles? studentTokenizer = null, int studentContext = 0, Action<string>? warn = null,
        bool scoresDuringTraining = false, PretrainedFolder? folder = null, DecoderForCausalLM? student = null, PretrainedFolder? studentFolder = null,
        int studentVocabulary = 0)
    {
        if (Members is not null)
        {
            var opened = new List<(string Name, float Weight, ITeacher Teacher)>();
            try
            {
                foreach (var member in Members)
                    opened.Add((member.Name, member.Weight, member.Source.Open(device, dtype, studentTokenizer, studentContext, warn, scoresDuringTraining,
                        studentVocabulary: studentVocabulary)));
            }
            catch
            {
                foreach (var (_, _, member) in opened) member.Dispose();
                throw;
            }
            return new TeacherEnsemble(opened, RoutedByName, Members.Max(m => m.Source.ScoreTopK));
        }
        if (IsStudentBase)
        {
            var self = LocalTeacher.BaseOf(student ?? throw new ArgumentNullException(nameof(student)), studentFolder ?? throw new ArgumentNullException(nameof(studentFolder)));
            return IsCached ? new CachedTeacher(self, CacheDirectory!, ScoreTopK, scoresDuringTraining, CacheEncoding) : self;
        }
        if (Logits is not null)
        {
            var dataset = new LogitDatasets.LogitDatasetTeacher(Logits);
            return new CachedTeacher(dataset, CacheDirectory!, ScoreTopK > 0 ? ScoreTopK : dataset.TopK(), keepTeacher: false, CacheEncoding);
        }
        if (IsServed)
        {
            var tokenizer = ServedTokenizer(studentTokenizer ?? throw new ArgumentNullException(nameof(studentTokenizer)));
            var served = ServedTeacher.Open(Endpoint, ChatClient, tokenizer, studentContext, ScoreTopK, warn ?? (_ => { }));
            return Bridged(new CachedTeacher(served, CacheDirectory!, ScoreTopK, scoresDuringTraining, CacheEncoding), tokenizer, tokenizer.VocabularySize);
        }
        var teacherFolder = folder ?? PretrainedFolder.Open(ModelPath!, "teacher");
        var local = LocalTeacher.Load(teacherFolder, device, dtype, Quantization);
        ITeacher teacher = IsCached ? new CachedTeacher(local, CacheDirectory!, ScoreTopK, scoresDuringTraining, CacheEncoding) : local;
        if (CrossTokenizer == CrossTokenizerLoss.None && teacherFolder.Tokenizer is null) return teacher;
        return Bridged(teacher, teacherFolder.RequireTokenizer("Cross-tokenizer KD needs the teacher's tokenizer"), teacherFolder.Config.VocabSize);

        // A teacher in its own ids, seen through the student's tokenizer when they differ (for logit KD, when asked to).
        // Without a student tokenizer (a caller that only reads the teacher's text) there is nothing to bridge to.
        ITeacher Bridged(ITeacher inner, TokenizerFiles teacherTokenizer, int teacherVocabulary) =>
            CrossTokenizer == CrossTokenizerLoss.None && (studentTokenizer is null || !WritesInOtherTokens(teacherTokenizer, studentTokenizer)) ? inner
            : new CrossTokenizerTeacher(inner, studentTokenizer ?? throw new ArgumentNullException(nameof(studentTokenizer)), studentVocabulary,
                teacherTokenizer, teacherVocabulary, ScoreTopK, CrossTokenizer);
    }

    // Text-level sequence KD from a teacher with its own tokenizer: its responses are decoded and tokenized again.
    private bool WritesInOtherTokens(TokenizerFiles teacherTokenizer, TokenizerFiles studentTokenizer) =>
        WritesTextOnly && !teacherTokenizer.HasSameVocabularyAs(studentTokenizer);

    private TokenizerFiles ServedTokenizer(TokenizerFiles studentTokenizer) => Endpoint?.TokenizerPath is { } path
        ? TokenizerFiles.TryLoad(path) ?? throw new InvalidDataException(
            $"TeacherEndpoint.TokenizerPath '{path}' has no tokenizer.json or tokenizer.model; it must hold the served teacher's tokenizer files.")
        : studentTokenizer;
}

/// <summary>One of several teachers: its name (how rows route to it), its weight in the mixture, and where it comes from.</summary>
internal sealed record TeacherMember(string Name, float Weight, TeacherSource Source);
