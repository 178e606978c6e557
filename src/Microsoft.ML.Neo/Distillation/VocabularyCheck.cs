using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.Distillation;

/// <summary>
/// Logit distillation compares distributions id by id, so teacher and student must share a vocabulary.
/// A teacher whose embedding is padded beyond the student's (same tokenizer) is accepted; its extra ids are dropped.
/// </summary>
internal static class VocabularyCheck
{
    /// <param name="warn">Told when the teacher's tokenizer files cannot be read; the teacher is then checked as one
    /// without tokenizer files (its logits need only the student's token ids).</param>
    public static void Ensure(PretrainedFolder teacher, PretrainedFolder student, TokenizerFiles studentTokenizer, Action<string> warn)
    {
        var teacherConfig = teacher.Config;
        var studentConfig = student.Config;
        string teacherPath = teacher.Directory, studentPath = student.Directory;
        var teacherTokenizer = teacher.Tokenizer;
        if (teacher.TokenizerWarning is { } problem) warn($"The teacher's tokenizer is ignored: {problem}");
        if (teacherTokenizer is not null && !teacherTokenizer.HasSameVocabularyAs(studentTokenizer))
            throw new InvalidDataException(
                $"The teacher's tokenizer ('{teacherPath}', {teacherTokenizer.Kind} tokenizer, {teacherTokenizer.VocabularySize} ids) and the student's " +
                $"('{studentPath}', {studentTokenizer.Kind} tokenizer, {studentTokenizer.VocabularySize} ids) disagree; logit distillation needs one shared vocabulary, or set NeoDistillOptions.CrossTokenizer = Hybrid (or Uld) to align the two tokenizations " +
                "(text-level sequence KD, Mode = Sequence with KdWeight 0, works with any pair).");
        if (teacherConfig.VocabSize < studentConfig.VocabSize)
            throw new InvalidDataException(
                $"The teacher's vocab_size ({teacherConfig.VocabSize}, '{teacherPath}') is smaller than the student's " +
                $"({studentConfig.VocabSize}, '{studentPath}'); their vocabularies disagree.");
        if (teacherTokenizer is null && teacherConfig.VocabSize != studentConfig.VocabSize)
            throw new InvalidDataException(
                $"The teacher ('{teacherPath}') has no readable tokenizer file and its vocab_size ({teacherConfig.VocabSize}) differs from the " +
                $"student's ({studentConfig.VocabSize}); their vocabularies cannot be shown to agree.");
    }
}
