using System.Text;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Tokenization.Alignment;

namespace Microsoft.ML.Neo.Tests.Tokenization.Alignment;

/// <summary>
/// Cross-tokenizer alignment between the embedded SentencePiece tokenizer (the students') and a byte-level BPE one in
/// Llama 3's layout: every student position is paired with the teacher token that covers the start of its text.
/// </summary>
[TestClass]
public sealed class ResponseAlignmentTests
{
    private static readonly string[] Specials = { "<|begin_of_text|>", "<|end_of_text|>" };

    // Bytes 0-255, then "Ġt" 256, "he" 257, "the" 258, "Ġthe" 259, "Ġ1" 260, "Ġ12" 261, then the specials 262-263.
    private static TokenizerFiles ByteLevel()
    {
        var (json, _) = TinyTokenizerFiles.ByteLevelJson(new[] { "Ġ t", "h e", "t he", "Ġt he", "Ġ 1", "Ġ1 2" }, Specials);
        return TokenizerFiles.FromFiles(new Dictionary<string, byte[]>
        {
            ["tokenizer.json"] = Encoding.UTF8.GetBytes(json),
            ["tokenizer_config.json"] = Encoding.UTF8.GetBytes("""{"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>", "add_bos_token": true}"""),
        }, "test files");
    }

    private static (EncodedExample Student, EncodedExample Teacher) Encode(TokenizerFiles student, TokenizerFiles teacher, string prompt, string response) =>
        (new PromptResponseEncoder(student, 4096).Encode(prompt, response)!, new PromptResponseEncoder(teacher, 4096).Encode(prompt, response)!);

    private static string[] ResponseTexts(TokenizerFiles tokenizer, EncodedExample example) => tokenizer.TokenTexts(example.TokenIds)[example.ResponseStart..];

    [TestMethod]
    [DataRow("Tom has 12 apples and the 3 cats.\n#### 15")]
    [DataRow("Zoë paid 4€ —  twice:  the   café!")]          // multi-byte characters and whitespace runs
    [DataRow("12 + 30 = 42")]                                  // digits
    public void EveryStudentPositionMapsToTheTeacherTokenCoveringItsText(string response)
    {
        var student = EmbeddedTask.CreateTokenizer();
        var teacher = ByteLevel();
        var (s, t) = Encode(student, teacher, "Question: how many?\nAnswer:", " " + response);
        var alignment = ResponseAlignment.Align(student, s.TokenIds, s.ResponseStart, teacher, t.TokenIds, t.ResponseStart);
        var studentTexts = ResponseTexts(student, s);
        var teacherTexts = ResponseTexts(teacher, t);
        Assert.AreEqual(s.ResponseTokenCount, alignment.TeacherPosition.Length);
        // Character offsets of each side's tokens, counted from its first non-space character (a response tokenized on its
        // own starts with a space under SentencePiece and not under byte-level BPE), checked independently.
        int[] Starts(string[] texts)
        {
            int lead = string.Concat(texts).Length - string.Concat(texts).TrimStart().Length;
            return texts.Select((_, i) => texts.Take(i).Sum(x => x.Length) - lead).ToArray();
        }
        var studentStarts = Starts(studentTexts);
        var teacherStarts = Starts(teacherTexts);
        for (int k = 0; k < studentTexts.Length - 1; k++)
        {
            int j = alignment.TeacherPosition[k];
            int end = teacherStarts[j] + teacherTexts[j].Length;
            if (studentStarts[k] + studentTexts[k].Length <= 0) continue; // leading whitespace, which is not aligned
            int start = Math.Max(0, studentStarts[k]);
            Assert.IsTrue(teacherStarts[j] <= start && (start < end || teacherTexts[j].Length == 0 || studentTexts[k].Length == 0),
                $"student token {k} '{studentTexts[k]}' at {studentStarts[k]} is covered by teacher token {j} '{teacherTexts[j]}' at {teacherStarts[j]}");
            Assert.IsFalse(teacherStarts[j] < start && j + 1 < teacherTexts.Length - 1 && teacherStarts[j + 1] <= start && teacherTexts[j + 1].Length > 0,
                $"student token {k}: a later teacher token also starts at or before it");
            Assert.AreEqual(teacherStarts[j] == studentStarts[k] && teacherTexts[j] == studentTexts[k] && studentTexts[k].Length > 0, alignment.SameToken[k], $"token {k}");
        }
        Assert.AreEqual(teacherTexts.Length - 1, alignment.TeacherPosition[^1], "the ends of sequence pair");
        Assert.IsTrue(alignment.SameToken[^1]);
    }

    [TestMethod]
    public void IdenticalTokenizersAlignOneToOne()
    {
        var tokenizer = EmbeddedTask.CreateTokenizer();
        var (s, t) = Encode(tokenizer, tokenizer, "Question: 2 + 3?\nAnswer:", "2+3=5.\n#### 5");
        var alignment = ResponseAlignment.Align(tokenizer, s.TokenIds, s.ResponseStart, tokenizer, t.TokenIds, t.ResponseStart);
        CollectionAssert.AreEqual(Enumerable.Range(0, s.ResponseTokenCount).ToArray(), alignment.TeacherPosition);
        Assert.AreEqual(s.ResponseTokenCount, alignment.SameTokenCount);
    }

    [TestMethod]
    public void TokenizersThatSpellTheResponseDifferentlyAreRefusedWithTheReason()
    {
        // Qwen2-style NFC normalisation composes "e" + a combining accent into "é"; the embedded tokenizer keeps both.
        var student = EmbeddedTask.CreateTokenizer();
        var (json, _) = TinyTokenizerFiles.ByteLevelJson(new[] { "h e" }, new[] { "<|endoftext|>" }, nfc: true);
        var teacher = TokenizerFiles.FromFiles(new Dictionary<string, byte[]>
        {
            ["tokenizer.json"] = Encoding.UTF8.GetBytes(json),
            ["tokenizer_config.json"] = Encoding.UTF8.GetBytes("""{"bos_token": null, "eos_token": "<|endoftext|>", "add_bos_token": false}"""),
        }, "test files");
        var (s, t) = Encode(student, teacher, "Question:", "cafe\u0301 5");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ResponseAlignment.Align(student, s.TokenIds, s.ResponseStart, teacher, t.TokenIds, t.ResponseStart));
        StringAssert.Contains(e.Message, "spell the response differently from character 3");
        StringAssert.Contains(e.Message, "cannot be aligned");
    }

    [TestMethod]
    public void TheVocabularyMapPairsTokensThatAddTheSameText()
    {
        var student = EmbeddedTask.CreateTokenizer();
        var teacher = ByteLevel();
        var map = VocabularyMap.Build(student, student.VocabularySize, teacher, teacher.VocabularySize);
        // " the" is one token on both sides; so is each ASCII letter and digit.
        int studentThe = student.Encode(" the", addBeginningOfSequence: false) is [var id] ? id : -1;
        if (studentThe >= 0) Assert.AreEqual(259, map.StudentToTeacher[studentThe], "' the'");
        foreach (char c in "abcxyz0123456789")
        {
            var ids = student.Encode("a" + c, addBeginningOfSequence: false);
            if (ids.Length != 2) continue;
            Assert.AreEqual(c, map.StudentToTeacher[ids[1]], $"'{c}' maps to its byte id");
            Assert.AreEqual(ids[1], map.TeacherToStudent[c]);
        }
        Assert.AreEqual(263, map.StudentToTeacher[student.EndOfSequenceId!.Value], "the ends of sequence pair");
        Assert.IsTrue(map.SharedCount > 50, $"{map.SharedCount} shared tokens");
        // The map is one-to-one where defined.
        var pairs = map.StudentToTeacher.Select((t, s) => (s, t)).Where(p => p.t >= 0).ToList();
        Assert.IsTrue(pairs.All(p => map.TeacherToStudent[p.t] == p.s));
    }
}
