namespace Microsoft.ML.Neo.Tokenization.Alignment;

/// <summary>
/// The tokens two vocabularies share: ids whose tokens add the same text, each side's end-of-sequence (and
/// beginning-of-sequence) ids paired with the other's. Built once per tokenizer pair. A token's text is what it adds
/// after an ordinary token ("a"), so a SentencePiece "▁the" and a byte-level "Ġthe" are both " the"; tokens that are
/// part of a UTF-8 character have no text of their own and map to nothing. When several student ids add one text, the
/// one the student's tokenizer produces for that text is kept.
/// </summary>
internal sealed class VocabularyMap
{
    private VocabularyMap(int[] studentToTeacher, int[] teacherToStudent)
    {
        StudentToTeacher = studentToTeacher;
        TeacherToStudent = teacherToStudent;
        SharedCount = teacherToStudent.Count(id => id >= 0);
    }

    /// <summary>For each student id, the teacher id of the same token, or −1.</summary>
    public int[] StudentToTeacher { get; }

    /// <summary>For each teacher id, the student id of the same token, or −1.</summary>
    public int[] TeacherToStudent { get; }

    /// <summary>How many teacher ids have a student counterpart.</summary>
    public int SharedCount { get; }

    public static VocabularyMap Build(TokenizerFiles student, int studentVocabulary, TokenizerFiles teacher, int teacherVocabulary)
    {
        if (student.HasSameVocabularyAs(teacher))
        {
            // One vocabulary: every id is itself (up to the smaller of the two sizes; padded ids map to nothing).
            int shared = Math.Min(studentVocabulary, teacherVocabulary);
            return new VocabularyMap(Enumerable.Range(0, studentVocabulary).Select(id => id < shared ? id : -1).ToArray(),
                Enumerable.Range(0, teacherVocabulary).Select(id => id < shared ? id : -1).ToArray());
        }
        var studentTexts = Texts(student, studentVocabulary, out int studentAnchor, out string studentAnchorText);
        var teacherTexts = Texts(teacher, teacherVocabulary, out _, out _);
        var studentByText = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < studentTexts.Length; id++)
        {
            if (studentTexts[id] is not { } text) continue;
            if (!studentByText.TryGetValue(text, out int kept)) studentByText[text] = id;
            // Several ids add this text (a SentencePiece byte piece and a letter, say): keep the one the tokenizer writes.
            else if (student.Encode(studentAnchorText + text, addBeginningOfSequence: false) is [var first, var produced] && first == studentAnchor && produced == id)
                studentByText[text] = id;
        }
        var studentToTeacher = Enumerable.Repeat(-1, studentVocabulary).ToArray();
        var teacherToStudent = Enumerable.Repeat(-1, teacherVocabulary).ToArray();
        void Pair(int s, int t)
        {
            if (s < 0 || s >= studentVocabulary || t < 0 || t >= teacherVocabulary || teacherToStudent[t] >= 0 || studentToTeacher[s] >= 0) return;
            teacherToStudent[t] = s;
            studentToTeacher[s] = t;
        }
        if (student.EndOfSequenceId is int studentEos && teacher.EndOfSequenceId is int teacherEos) Pair(studentEos, teacherEos);
        if (student.BeginningOfSequenceId is int studentBos && teacher.BeginningOfSequenceId is int teacherBos) Pair(studentBos, teacherBos);
        for (int t = 0; t < teacherTexts.Length; t++)
            if (teacherTexts[t] is { } text && studentByText.TryGetValue(text, out int s)) Pair(s, t);
        return new VocabularyMap(studentToTeacher, teacherToStudent);
    }

    // The text each id adds after an ordinary one-token anchor; null when it adds none or only part of a character.
    private static string?[] Texts(TokenizerFiles tokenizer, int count, out int anchor, out string anchorText)
    {
        anchor = Anchor(tokenizer, out anchorText);
        var texts = new string?[count];
        var pair = new int[2];
        pair[0] = anchor;
        for (int id = 0; id < count; id++)
        {
            pair[1] = id;
            string decoded;
            try
            {
                decoded = tokenizer.Decode(pair);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException)
            {
                continue; // an id the tokenizer does not know (a padded vocabulary)
            }
            if (decoded.StartsWith(anchorText, StringComparison.Ordinal) && decoded.Length > anchorText.Length && !decoded.Contains('\uFFFD'))
                texts[id] = decoded[anchorText.Length..];
        }
        return texts;
    }

    private static int Anchor(TokenizerFiles tokenizer, out string text)
    {
        foreach (string candidate in new[] { "a", "x", "0", "." })
            if (tokenizer.Encode(candidate, addBeginningOfSequence: false) is [int id] && tokenizer.Decode(new[] { id }) == candidate)
            {
                text = candidate;
                return id;
            }
        throw new InvalidDataException($"The {tokenizer.Kind} tokenizer has no single token for \"a\", \"x\", \"0\" or \".\"; its vocabulary cannot be mapped to another's.");
    }
}
