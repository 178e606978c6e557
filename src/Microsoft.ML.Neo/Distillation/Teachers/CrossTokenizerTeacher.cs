using System.Runtime.CompilerServices;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Tokenization.Alignment;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// A teacher with another tokenizer, seen through the student's: each example's text is tokenized again by the
/// teacher's tokenizer (the teacher's view, primed or not, and the student's own samples alike), the teacher scores its
/// own tokens (in this process, behind its cache, or on a server: <see cref="inner"/> works in teacher ids), and each
/// student response position is paired with a teacher position by <see cref="ResponseAlignment"/>:
/// <list type="bullet">
/// <item>where both emit the same token, the teacher's top-K ids are translated to student ids through the shared
/// vocabulary (<see cref="VocabularyMap"/>; ids the student lacks become empty entries) and the divergence applies;</item>
/// <item>elsewhere (or everywhere, with <see cref="CrossTokenizerLoss.Uld"/>) the row is scored by the universal logit
/// distance, which needs no shared ids.</item>
/// </list>
/// </summary>
internal sealed class CrossTokenizerTeacher : ITeacher
{
    private readonly ITeacher inner;
    private readonly TokenizerFiles studentTokenizer, teacherTokenizer;
    private readonly PromptResponseEncoder teacherEncoder;
    private readonly int teacherVocabulary, topK, teacherPadId;
    private readonly CrossTokenizerLoss loss;
    private readonly Lazy<VocabularyMap> map;
    private readonly ConditionalWeakTable<EncodedExample, Paired> paired = new();

    private sealed record Paired(EncodedExample Teacher, ResponseAlignment Alignment);

    // A teacher sequence with the text each of its tokens adds.
    private sealed record Spelled(EncodedExample Example, string[] Texts);

    /// <param name="inner">The teacher, in its own ids; owned.</param>
    /// <param name="topK">Teacher ids kept per position.</param>
    public CrossTokenizerTeacher(ITeacher inner, TokenizerFiles studentTokenizer, int studentVocabulary, TokenizerFiles teacherTokenizer, int teacherVocabulary,
        int topK, CrossTokenizerLoss loss)
    {
        this.inner = inner;
        this.studentTokenizer = studentTokenizer;
        this.teacherTokenizer = teacherTokenizer;
        this.teacherVocabulary = teacherVocabulary;
        this.topK = Math.Min(topK, teacherVocabulary);
        this.loss = loss;
        teacherEncoder = new PromptResponseEncoder(teacherTokenizer, int.MaxValue);
        teacherPadId = teacherTokenizer.PaddingId ?? teacherTokenizer.EndOfSequenceId ?? 0;
        map = new Lazy<VocabularyMap>(() => VocabularyMap.Build(studentTokenizer, studentVocabulary, teacherTokenizer, teacherVocabulary));
        StopTokenIds = studentTokenizer.EndOfSequenceId is int eos ? new HashSet<int> { eos } : new HashSet<int>();
    }

    public string Fingerprint => inner.Fingerprint;

    public int ContextLength => inner.ContextLength;

    /// <summary>In student ids: the student's end of sequence (the teacher's own stops end its generations).</summary>
    public IReadOnlySet<int> StopTokenIds { get; }

    public string? CacheSummary => inner.CacheSummary;

    /// <summary>The shared vocabulary's size, for the run's log.</summary>
    public int SharedTokens => map.Value.SharedCount;

    public int[] Generate(int[] promptIds, int maxNewTokens, IReadOnlyCollection<int> stopIds) => Generate(new[] { promptIds }, maxNewTokens, stopIds)[0];

    public int[][] Generate(IReadOnlyList<int[]> prompts, int maxNewTokens, IReadOnlyCollection<int> stopIds)
    {
        // The prompt's text in the teacher's tokens; the answer's text back in the student's.
        var teacherPrompts = prompts.Select(p => teacherEncoder.EncodePrompt(PromptText(p))).ToList();
        var teacherStops = new HashSet<int>(inner.StopTokenIds);
        if (teacherTokenizer.EndOfSequenceId is int eos) teacherStops.Add(eos);
        return inner.Generate(teacherPrompts, maxNewTokens, teacherStops)
            .Select(ids => studentTokenizer.Encode(teacherTokenizer.Decode(ids), addBeginningOfSequence: false)).ToArray();
    }

    public TeacherBatchScores Score(TokenBatch batch, int vocabulary)
    {
        var pairs = batch.Examples.Select(Pair).ToList();
        var scored = new Dictionary<EncodedExample, (int[] Ids, float[] Logits)>(ReferenceEqualityComparer.Instance);
        inner.ScoreTopK(pairs.Select(p => p.Teacher).Distinct(ReferenceEqualityComparer.Instance).Cast<EncodedExample>().ToList(),
            teacherVocabulary, topK, teacherPadId, (example, ids, logits) => scored[example] = (ids, logits));
        int rows = batch.ResponseTokenCount;
        var studentIds = new long[rows * topK];
        var logitsOut = new float[rows * topK];
        var uld = new bool[rows];
        var toStudent = map.Value.TeacherToStudent;
        int row = 0;
        foreach (var (teacherExample, alignment) in pairs)
        {
            var (ids, logits) = scored[teacherExample];
            for (int k = 0; k < alignment.TeacherPosition.Length; k++, row++)
            {
                int j = alignment.TeacherPosition[k], mapped = 0;
                bool direct = loss == CrossTokenizerLoss.Hybrid && alignment.SameToken[k];
                for (int e = 0; e < topK; e++)
                {
                    int student = direct ? toStudent[ids[j * topK + e]] : -1;
                    studentIds[row * topK + e] = student >= 0 ? student : TeacherTargets.EmptyId(vocabulary);
                    logitsOut[row * topK + e] = student >= 0 ? logits[j * topK + e] : TeacherTargets.EmptyLogit;
                    if (student >= 0) mapped++;
                }
                // No shared id (or not the same token): a ULD row, which reads every teacher logit and no id.
                uld[row] = mapped == 0;
                if (uld[row]) Array.Copy(logits, j * topK, logitsOut, row * topK, topK);
            }
        }
        var device = batch.Inputs.device;
        return new KnownTeacherScores(new TeacherTargets(
            tensor(logitsOut, new long[] { rows, topK }).to(device),   // [M, K]
            tensor(studentIds, new long[] { rows, topK }).to(device))  // [M, K] student ids, or the empty id
        {
            HasEmptyEntries = true,
            UldRows = uld.Any(u => u) ? tensor(uld).to(device) : null, // [M]
        });
    }

    public void ScoreTopK(IReadOnlyList<EncodedExample> examples, int vocabulary, int topK, int padId, Action<EncodedExample, int[], float[]> store) =>
        throw new NotSupportedException("A cross-tokenizer teacher scores batches (Score); its cache sits behind it, in the teacher's own ids.");

    public void PrepareScores(IReadOnlyList<EncodedExample> examples, int vocabulary, int padId, Action<string> log)
    {
        var pairs = examples.Select(Pair).ToList();
        int positions = pairs.Sum(p => p.Alignment.TeacherPosition.Length), same = pairs.Sum(p => p.Alignment.SameTokenCount);
        log($"teacher tokenizer: {teacherTokenizer.Kind}, {teacherVocabulary} ids, {map.Value.SharedCount} of them shared with the student's; " +
            $"{same} of {positions} response positions ({(double)same / Math.Max(1, positions):P0}) have the same token on both sides" +
            (loss == CrossTokenizerLoss.Hybrid ? "; the rest are scored by ULD." : "; every position is scored by ULD."));
        inner.PrepareScores(pairs.Select(p => p.Teacher).ToList(), teacherVocabulary, teacherPadId, log);
    }

    // The teacher's tokens for an example and the alignment of its response, made once per example.
    private Paired Pair(EncodedExample example) => paired.GetValue(example, e =>
    {
        var view = e.TeacherView;
        var texts = studentTokenizer.TokenTexts(view.TokenIds); // once: for the text, and again for the alignment
        bool endsWithEos = view.TokenIds.Length > view.ResponseStart && view.TokenIds[^1] == studentTokenizer.EndOfSequenceId;
        // The prompt decoded as a whole; the response as the text its tokens add after the prompt, separator included.
        string prompt = PromptText(view.TokenIds[..view.ResponseStart]);
        string response = string.Concat(texts[view.ResponseStart..(endsWithEos ? texts.Length - 1 : texts.Length)]);
        var (teacher, teacherTexts) = EncodeLike(prompt, response, endsWithEos);
        if (teacher.TokenIds.Length > inner.ContextLength)
            throw new InvalidOperationException($"An example is {teacher.TokenIds.Length} tokens in the teacher's tokenizer, more than its context of {inner.ContextLength}; " +
                "set NeoDistillOptions.MaxSequenceLength lower.");
        return new Paired(teacher, ResponseAlignment.Align(studentTokenizer, view.TokenIds, texts, view.ResponseStart,
            teacherTokenizer, teacher.TokenIds, teacherTexts, teacher.ResponseStart));
    });

    // The teacher's sequence spelling the same text: its prompt, then the response with or without the separating
    // space, whichever its tokenizer reproduces (SentencePiece adds one to a response encoded on its own, byte-level does not).
    private Spelled EncodeLike(string prompt, string response, bool endsWithEos)
    {
        var promptIds = teacherEncoder.EncodePrompt(prompt);
        Spelled Make(string text)
        {
            int[] ids = teacherTokenizer.Encode(text, addBeginningOfSequence: false);
            if (endsWithEos && teacherTokenizer.EndOfSequenceId is int eos) ids = [.. ids, eos];
            var example = new EncodedExample([.. promptIds, .. ids], promptIds.Length);
            return new Spelled(example, teacherTokenizer.TokenTexts(example.TokenIds));
        }
        var asIs = Make(response);
        if (response.Length == 0 || response[0] != ' ') return asIs;
        return string.Concat(asIs.Texts[asIs.Example.ResponseStart..]).StartsWith(response, StringComparison.Ordinal) ? asIs : Make(response[1..]);
    }

    // A prompt decoded as a whole, as the user wrote it: SentencePiece drops the space its first piece starts with.
    private string PromptText(int[] studentIds)
    {
        int start = studentTokenizer.AddsBeginningOfSequence && studentIds.Length > 0 && studentIds[0] == studentTokenizer.BeginningOfSequenceId ? 1 : 0;
        return studentTokenizer.Decode(studentIds[start..]);
    }

    public void Dispose() => inner.Dispose();
}
