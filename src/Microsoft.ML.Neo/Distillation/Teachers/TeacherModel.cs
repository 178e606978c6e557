using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Teachers;

namespace Microsoft.ML.Neo;

/// <summary>
/// A teacher run in this process from a Hugging Face folder (config.json, model.safetensors, its tokenizer), or from a
/// model zip saved by NeoDistill (its student, adapters merged, teaches: a distilled model can teach the next). Logit KD
/// reads its whole distribution unless <see cref="NeoDistillOptions.TeacherScoreTopK"/> keeps fewer ids, online or
/// cached alike; with <see cref="NeoDistillOptions.TeacherCacheDirectory"/> its answers are kept for later runs. Its
/// weights follow <see cref="NeoDistillOptions.Precision"/> and <see cref="NeoDistillOptions.BaseQuantization"/>.
/// </summary>
public sealed class TeacherModel : NeoTeacher
{
    /// <summary>A teacher folder to set later.</summary>
    public TeacherModel()
    {
    }

    /// <param name="modelPath">The teacher's Hugging Face folder, or a model zip saved by NeoDistill.</param>
    public TeacherModel(string modelPath) => ModelPath = modelPath;

    /// <summary>
    /// The teacher's Hugging Face folder, or a model zip saved by NeoDistill. A zip's student is written once, its
    /// adapters merged, as a Hugging Face folder under the temporary folder (named by the zip's SHA-256, so a changed
    /// zip is written again), and read from there. Required.
    /// </summary>
    public string ModelPath { get; set; } = "";

    internal override int DefaultTopK => 0;

    // A zip by its contents (a copy elsewhere is the same teacher, a zip saved again over it is not); a folder by its path.
    internal override string Identity => File.Exists(ModelPath) ? "zip:" + ZippedTeacher.Digest(ModelPath) : Path.GetFullPath(ModelPath);

    internal override string Describe() => File.Exists(ModelPath) ? $"the teacher zip '{ModelPath}'" : $"the teacher folder '{ModelPath}'";

    internal override void Validate(NeoDistillOptions options)
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
            throw new ArgumentException("TeacherModel.ModelPath is empty; set it to the teacher's Hugging Face model folder or a NeoDistill model zip.", nameof(ModelPath));
    }

    // The folder the teacher is read from: the path itself, or a zip's student written as a folder.
    private string Folder => File.Exists(ModelPath) ? ZippedTeacher.Folder(ModelPath) : ModelPath;

    /// <summary>The teacher's folder, read (a zip's student written as one first), for every reader of the teacher.</summary>
    internal PretrainedFolder OpenFolder() => PretrainedFolder.Open(Folder, "teacher");

    internal override PretrainedFolder? Check(PretrainedFolder student, TeacherSettings settings, Action<string> warn)
    {
        var teacher = OpenFolder();
        var studentTokenizer = student.RequireTokenizer("NeoDistill needs the student's tokenizer");
        if (settings.CrossTokenizer != CrossTokenizerLoss.None)
            teacher.RequireTokenizer("Cross-tokenizer KD tokenizes every example again for the teacher: it needs the teacher's tokenizer");
        else if (!(teacher.Tokenizer is { } own && TeacherSource.WritesInOtherTokens(settings, own, studentTokenizer)))
            VocabularyCheck.Ensure(teacher, student, studentTokenizer, warn);
        return teacher;
    }

    internal override ITeacher Open(TeacherSettings settings, TeacherOpening opening)
    {
        var folder = opening.Folder ?? OpenFolder();
        var local = LocalTeacher.Load(folder, opening.Device, opening.Dtype, settings.Quantization);
        var teacher = TeacherSource.CachedOrTopK(local, settings, opening.ScoresDuringTraining);
        if (settings.CrossTokenizer == CrossTokenizerLoss.None && folder.Tokenizer is null) return teacher;
        return TeacherSource.Bridged(teacher, settings, opening, folder.RequireTokenizer("Cross-tokenizer KD needs the teacher's tokenizer"), folder.Config.VocabSize);
    }

    internal override NeoTeacher Clone() => new TeacherModel(ModelPath);

    internal override JsonObject ToRecord() => new() { ["kind"] = "model", ["model_path"] = ModelPath };
}

/// <summary>A model zip as a teacher: its student, adapters merged, written once as a Hugging Face folder.</summary>
internal static class ZippedTeacher
{
    /// <summary>The folder holding the zip's student (written now if it is not there yet).</summary>
    public static string Folder(string zip)
    {
        string folder = Path.Combine(Path.GetTempPath(), "neo-zip-teachers", Digest(zip)[..24]);
        if (File.Exists(Path.Combine(folder, HuggingFaceCheckpoint.ConfigFile))) return folder;
        // Written beside and moved into place, so a run that dies halfway leaves no folder that looks complete.
        string writing = folder + ".writing-" + Environment.ProcessId;
        if (Directory.Exists(writing)) Directory.Delete(writing, recursive: true);
        using (var model = new MLContext().Model.LoadNeoDistill(zip)) model.ExportHuggingFace(writing, SafeTensorsDtype.Float32);
        try
        {
            Directory.Move(writing, folder);
        }
        catch (IOException) when (File.Exists(Path.Combine(folder, HuggingFaceCheckpoint.ConfigFile)))
        {
            Directory.Delete(writing, recursive: true); // another process wrote it first
        }
        return folder;
    }

    /// <summary>The zip's SHA-256, as hex; computed once per file version (path, size and time).</summary>
    public static string Digest(string zip)
    {
        var file = new FileInfo(zip);
        var key = (file.FullName, file.Length, file.LastWriteTimeUtc);
        lock (Digests)
        {
            if (Digests.TryGetValue(key, out var known)) return known;
            using var stream = file.OpenRead();
            return Digests[key] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        }
    }

    private static readonly Dictionary<(string, long, DateTime), string> Digests = new();
}
