namespace Microsoft.ML.Neo.Tokenization.Alignment;

/// <summary>
/// How a student's response tokens line up with a teacher's tokenization of the same response, by the text each token
/// adds (<see cref="TokenizerFiles.TokenTexts"/>). For student response position k:
/// <list type="bullet">
/// <item><see cref="TeacherPosition"/>[k]: the teacher response position whose token covers the first character of
/// student token k (the teacher's distribution there is the one paired with the student's);</item>
/// <item><see cref="SameToken"/>[k]: the teacher token starts at that same character and adds the same text, so the two
/// next-token distributions predict the same thing and can be compared id by id through a <see cref="VocabularyMap"/>.</item>
/// </list>
/// A final end-of-sequence token on both sides is paired with the other's (its text differs by tokenizer).
/// </summary>
internal sealed record ResponseAlignment(int[] TeacherPosition, bool[] SameToken)
{
    /// <summary>Student response positions whose teacher token is the same token.</summary>
    public int SameTokenCount => SameToken.Count(same => same);

    /// <exception cref="InvalidDataException">The two tokenizations do not spell the same response text.</exception>
    public static ResponseAlignment Align(TokenizerFiles student, int[] studentIds, int studentResponseStart,
        TokenizerFiles teacher, int[] teacherIds, int teacherResponseStart) =>
        Align(student, studentIds, student.TokenTexts(studentIds), studentResponseStart, teacher, teacherIds, teacher.TokenTexts(teacherIds), teacherResponseStart);

    /// <summary>The same, with each whole sequence's <see cref="TokenizerFiles.TokenTexts"/> already computed.</summary>
    public static ResponseAlignment Align(TokenizerFiles student, int[] studentIds, string[] studentSequenceTexts, int studentResponseStart,
        TokenizerFiles teacher, int[] teacherIds, string[] teacherSequenceTexts, int teacherResponseStart)
    {
        var studentTexts = studentSequenceTexts[studentResponseStart..];
        var teacherTexts = teacherSequenceTexts[teacherResponseStart..];
        // Both ends of sequence pair with each other; the rest is aligned by text.
        bool studentEos = studentIds.Length > studentResponseStart && studentIds[^1] == student.EndOfSequenceId;
        bool teacherEos = teacherIds.Length > teacherResponseStart && teacherIds[^1] == teacher.EndOfSequenceId;
        bool pairEnds = studentEos && teacherEos;
        int studentCount = studentTexts.Length - (pairEnds ? 1 : 0), teacherCount = teacherTexts.Length - (pairEnds ? 1 : 0);

        // A response is tokenized on its own, so a SentencePiece tokenizer starts it with a space a byte-level one does not
        // (and the data's leading space, if any, the other way round): leading whitespace is not part of the alignment.
        string studentText = string.Concat(studentTexts.Take(studentCount)), teacherText = string.Concat(teacherTexts.Take(teacherCount));
        int studentLead = studentText.Length - studentText.TrimStart().Length, teacherLead = teacherText.Length - teacherText.TrimStart().Length;
        var studentStarts = Starts(studentTexts, studentCount, studentLead);
        var teacherStarts = Starts(teacherTexts, teacherCount, teacherLead);
        studentText = studentText[studentLead..];
        teacherText = teacherText[teacherLead..];
        if (studentText != teacherText)
        {
            int at = 0;
            while (at < Math.Min(studentText.Length, teacherText.Length) && studentText[at] == teacherText[at]) at++;
            throw new InvalidDataException(
                $"The student's and the teacher's tokens spell the response differently from character {at}: the student's give " +
                $"\"{Excerpt(studentText, at)}\", the teacher's \"{Excerpt(teacherText, at)}\". Tokenizers that normalise text differently " +
                "(one drops or rewrites characters the other keeps) cannot be aligned for cross-tokenizer KD; use sequence-level KD (Mode = Sequence, KdWeight = 0).");
        }

        var position = new int[studentTexts.Length];
        var same = new bool[studentTexts.Length];
        for (int k = 0; k < studentCount && teacherCount > 0; k++)
        {
            if (studentStarts[k] + studentTexts[k].Length <= 0)
            {
                // All leading whitespace: the teacher token that starts there too, else the teacher's first.
                position[k] = Math.Max(0, Array.IndexOf(teacherStarts, studentStarts[k]));
            }
            else
            {
                // The first teacher token that starts at the same character predicts what the student's does; without
                // one, the student token starts inside a teacher token, and that token is the one that covers it.
                int start = Math.Max(0, studentStarts[k]);
                int j = LowerBound(teacherStarts, start);
                position[k] = j < teacherCount && teacherStarts[j] == start ? j : Math.Max(0, j - 1);
            }
            same[k] = studentTexts[k].Length > 0 && teacherStarts[position[k]] == studentStarts[k] && teacherTexts[position[k]] == studentTexts[k];
        }
        if (pairEnds)
        {
            position[^1] = teacherTexts.Length - 1;
            same[^1] = true; // the end-of-sequence ids pair through the vocabulary map
        }
        return new ResponseAlignment(position, same);
    }

    // The first index whose value is at least `value` (values ascending).
    private static int LowerBound(int[] values, int value)
    {
        int low = 0, high = values.Length;
        while (low < high)
        {
            int middle = (low + high) / 2;
            if (values[middle] < value) low = middle + 1;
            else high = middle;
        }
        return low;
    }

    // Each token's first character, counted from the end of the leading whitespace (negative within it).
    private static int[] Starts(string[] texts, int count, int lead)
    {
        var starts = new int[count];
        int offset = -lead;
        for (int i = 0; i < count; i++)
        {
            starts[i] = offset;
            offset += texts[i].Length;
        }
        return starts;
    }

    private static string Excerpt(string text, int at) => at >= text.Length ? "(end)" : text.Substring(at, Math.Min(16, text.Length - at)).Replace("\n", "\\n");
}
