using System.CommandLine;
using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Tokenization.Alignment;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Benchmarks;

/// <summary>
/// Cross-tokenizer alignment on real tokenizer pairs: every folder under --root (tokenizer files, as
/// ./build.sh crosscheck-alignment writes Llama 2, Llama 3, Qwen3 and Gemma 3's) against every other, over the
/// repository's docs, paragraph by paragraph, as responses. Each student position must map to the teacher token that
/// covers the start of its text (checked from the token texts, independently of the alignment's own search), and the
/// vocabulary map must be one-to-one. Reports the share of positions with the same token, and the paragraphs a pair
/// refuses (tokenizers that spell the text differently). Exits 4 on any wrong mapping.
///   neo-bench align --root DIR
/// </summary>
internal static class AlignmentCheck
{
    public static Command Create()
    {
        var root = Required<string>("--root", "A folder of tokenizer folders (one per model).");
        var limit = With("--paragraphs", 400, "Doc paragraphs to align per pair.");
        var command = new Command("align", "Check cross-tokenizer alignment on real tokenizer pairs over the docs (exit code 4 on any wrong mapping).")
        {
            root, limit,
        }.WithExample("neo-bench align --root /tmp/tokenizers");
        command.SetWork((parse, console, _) => Run(parse.GetValue(root)!, parse.GetValue(limit)));
        return command;
    }

    private static int Run(string root, int limit)
    {
        var tokenizers = Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .Select(d => (Name: Path.GetFileName(d), Files: TokenizerFiles.TryLoad(d))).Where(t => t.Files is not null).ToList();
        string repository = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        var texts = Directory.GetFiles(Path.Combine(repository, "docs"), "*.md").Order(StringComparer.Ordinal).Prepend(Path.Combine(repository, "README.md"))
            .SelectMany(f => File.ReadAllText(f).Split("\n\n")).Where(p => p.Trim().Length > 0).Take(limit)
            .Concat(new[] { "Café, naïve façade, Ångström", "数学题：小明有3个苹果，又买了5个。", "Emoji 😀👍🏽 and ∑∫√", "1234567890 123 4567 89", "tabs\tand\n\n  runs   of   spaces" })
            .ToList();
        Console.WriteLine($"{tokenizers.Count} tokenizers, {texts.Count} texts per pair");
        Console.WriteLine("| student | teacher | shared ids | texts aligned | refused | positions | same token | wrong mappings |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        int wrongTotal = 0;
        foreach (var (studentName, student) in tokenizers)
            foreach (var (teacherName, teacher) in tokenizers)
            {
                if (studentName == teacherName) continue;
                var map = VocabularyMap.Build(student!, student!.VocabularySize, teacher!, teacher!.VocabularySize);
                int oneToOne = map.StudentToTeacher.Select((t, s) => (s, t)).Count(p => p.t >= 0 && map.TeacherToStudent[p.t] != p.s);
                int aligned = 0, refused = 0, wrong = oneToOne;
                long positions = 0, same = 0;
                string? firstRefusal = null, firstWrong = null;
                var studentEncoder = new PromptResponseEncoder(student, int.MaxValue);
                var teacherEncoder = new PromptResponseEncoder(teacher, int.MaxValue);
                foreach (string text in texts)
                {
                    var s = studentEncoder.Encode("Question: explain.\nAnswer:", text)!;
                    var t = teacherEncoder.Encode("Question: explain.\nAnswer:", (text.StartsWith(' ') ? "" : " ") + text)!;
                    ResponseAlignment alignment;
                    try
                    {
                        alignment = ResponseAlignment.Align(student, s.TokenIds, s.ResponseStart, teacher, t.TokenIds, t.ResponseStart);
                    }
                    catch (InvalidDataException e)
                    {
                        refused++;
                        firstRefusal ??= e.Message[..Math.Min(160, e.Message.Length)];
                        continue;
                    }
                    aligned++;
                    var studentTexts = student.TokenTexts(s.TokenIds)[s.ResponseStart..^1];
                    var teacherTexts = teacher.TokenTexts(t.TokenIds)[t.ResponseStart..^1];
                    int[] Starts(string[] pieces)
                    {
                        string all = string.Concat(pieces);
                        int lead = all.Length - all.TrimStart().Length, offset = -lead;
                        return pieces.Select(p => { int at = offset; offset += p.Length; return at; }).ToArray();
                    }
                    var studentStarts = Starts(studentTexts);
                    var teacherStarts = Starts(teacherTexts);
                    for (int k = 0; k < studentTexts.Length; k++)
                    {
                        positions++;
                        if (alignment.SameToken[k]) same++;
                        if (studentStarts[k] + studentTexts[k].Length <= 0) continue;
                        int start = Math.Max(0, studentStarts[k]), j = alignment.TeacherPosition[k];
                        bool covers = teacherStarts[j] == start || (teacherStarts[j] < start && start < teacherStarts[j] + teacherTexts[j].Length);
                        bool firstAtStart = teacherStarts[j] != start || j == 0 || teacherStarts[j - 1] != start;
                        if (!covers || !firstAtStart)
                        {
                            wrong++;
                            firstWrong ??= $"'{studentTexts[k]}' at {start} -> teacher '{teacherTexts[j]}' at {teacherStarts[j]}";
                        }
                    }
                    positions++; // the end of sequence
                    same++;
                }
                wrongTotal += wrong;
                Console.WriteLine($"| {studentName} | {teacherName} | {map.SharedCount:N0} | {aligned} | {refused} | {positions:N0} | {(double)same / Math.Max(1, positions):P1} | {wrong} |");
                if (firstRefusal is not null) Console.WriteLine($"  first refusal: {firstRefusal}");
                if (firstWrong is not null) Console.WriteLine($"  first wrong mapping: {firstWrong}");
            }
        return wrongTotal == 0 ? ExitCodes.Success : 4;
    }
}
