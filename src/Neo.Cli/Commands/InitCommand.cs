using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.Neo.Data.Synthetic;
using Neo.Cli.Terminal;
using static Neo.Cli.Commands.CommonOptions;

namespace Neo.Cli.Commands;

/// <summary>
/// neo init [--out DIR]: a folder to start from, for a tool user who has no repository: the embedded distillation task's teacher and
/// student as Hugging Face folders, and its training and test data as JSON lines. The library and its apps take these
/// folders like any others (the library has no <c>embedded:NAME</c> models of its own).
/// </summary>
internal static class InitCommand
{
    /// <summary>
    /// Rows of the files it writes by default: enough training problems for one epoch to move the embedded student
    /// (the quickstart's 16,000: 11 % to about 30 % in two minutes on 2 cores), and the samples' 200 test problems.
    /// </summary>
    public const int TrainRows = 16000, TestRows = 200;


    public static Command Create()
    {
        var folder = With("--out", "neo-start", "The folder to write (created; it must be empty if it exists).");
        var task = With("--task", "styled",
            "styled: the distillation task (styled-teacher, styled-student, noisy references); arithmetic: the original task (teacher, student).")
            .AcceptOnlyFromAmong(EmbeddedRecipes.Tasks);
        var trainRows = With("--train-rows", TrainRows, "Rows of train.jsonl (the task's generator makes as many as asked).");
        var command = new Command("init",
            "Write a folder to start from: the embedded teacher and student as model folders, train.jsonl and test.jsonl.")
        {
            folder, task, trainRows,
        }.WithExample("neo init --out neo-start && neo distill --teacher neo-start/teacher --student neo-start/student --data neo-start/train.jsonl --out neo-start/student.zip");
        command.SetWork((parse, console, _) =>
        {
            string target = parse.GetValue(folder)!;
            bool styled = parse.GetValue(task) == "styled";
            int rows = parse.GetValue(trainRows);
            if (rows < 1) throw new UsageException($"--train-rows must be 1 or more; it is {rows}.");
            if (File.Exists(target)) throw new UsageException($"'{target}' is a file; name a new or empty folder.");
            if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
                throw new UsageException($"'{target}' is not empty; name a new or empty folder, so nothing of yours is overwritten.");
            string teacher = Path.Combine(target, "teacher"), student = Path.Combine(target, "student");
            CopyFolder(ModelPath(EmbeddedPrefix + (styled ? "styled-teacher" : "teacher"))!, teacher);
            CopyFolder(ModelPath(EmbeddedPrefix + (styled ? "styled-student" : "student"))!, student);
            string train = Path.Combine(target, "train.jsonl"), test = Path.Combine(target, "test.jsonl");
            WriteLines(train, EmbeddedRecipes.DistillationProblems(styled, rows).Select(p => new { prompt = p.Prompt, response = p.Solution }));
            // The held-out problems in GSM8K's own layout, as a real test file would be; neo evaluate reads it as GSM8K.
            WriteLines(test, EmbeddedRecipes.HeldOutProblems(styled, TestRows).Select(p => new { question = p.Question, answer = p.Solution }));
            console.WriteLine($"wrote {target}/: teacher/ and student/ (model folders), train.jsonl ({rows} prompt/response rows), test.jsonl ({TestRows} GSM8K rows)");
            console.WriteLine("next (about two minutes on 2 cores; the settings are the quickstart's, for models this small):");
            console.WriteLine($"  neo distill --teacher {teacher} --student {student} --data {train} --out {Path.Combine(target, "student.zip")} {EmbeddedRecipes.Distillation.Flags}");
            console.WriteLine($"  neo evaluate --model {Path.Combine(target, "student.zip")} --data {test}");
            console.WriteResult(new { folder = Path.GetFullPath(target), teacher = Path.GetFullPath(teacher), student = Path.GetFullPath(student), train = Path.GetFullPath(train), test = Path.GetFullPath(test) });
            return ExitCodes.Success;
        });
        return command;
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    // As a person writes JSON lines: "2+3" stays "2+3", not "2\u002B3".
    private static readonly JsonSerializerOptions Plain = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void WriteLines<T>(string path, IEnumerable<T> rows) =>
        File.WriteAllLines(path, rows.Select(row => JsonSerializer.Serialize(row, Plain)));
}
