using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Teachers;

namespace Microsoft.ML.Neo;

/// <summary>
/// A teacher run in this process from a Hugging Face folder (config.json, model.safetensors, its tokenizer). Logit KD
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

    /// <param name="modelPath">The teacher's Hugging Face folder.</param>
    public TeacherModel(string modelPath) => ModelPath = modelPath;

    /// <summary>The teacher's Hugging Face folder. Required.</summary>
    public string ModelPath { get; set; } = "";

    internal override int DefaultTopK => 0;

    internal override string Identity => Path.GetFullPath(ModelPath);

    internal override string Describe() => $"the teacher folder '{ModelPath}'";

    internal override void Validate(NeoDistillOptions options)
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
            throw new ArgumentException("TeacherModel.ModelPath is empty; set it to the teacher's Hugging Face model folder.", nameof(ModelPath));
    }

    internal override PretrainedFolder? Check(PretrainedFolder student, TeacherSettings settings, Action<string> warn)
    {
        var teacher = PretrainedFolder.Open(ModelPath, "teacher");
        var studentTokenizer = student.RequireTokenizer("NeoDistill needs the student's tokenizer");
        if (settings.CrossTokenizer != CrossTokenizerLoss.None)
            teacher.RequireTokenizer("Cross-tokenizer KD tokenizes every example again for the teacher: it needs the teacher's tokenizer");
        else if (!(teacher.Tokenizer is { } own && TeacherSource.WritesInOtherTokens(settings, own, studentTokenizer)))
            VocabularyCheck.Ensure(teacher, student, studentTokenizer, warn);
        return teacher;
    }

    internal override ITeacher Open(TeacherSettings settings, TeacherOpening opening)
    {
        var folder = opening.Folder ?? PretrainedFolder.Open(ModelPath, "teacher");
        var local = LocalTeacher.Load(folder, opening.Device, opening.Dtype, settings.Quantization);
        var teacher = TeacherSource.CachedOrTopK(local, settings, opening.ScoresDuringTraining);
        if (settings.CrossTokenizer == CrossTokenizerLoss.None && folder.Tokenizer is null) return teacher;
        return TeacherSource.Bridged(teacher, settings, opening, folder.RequireTokenizer("Cross-tokenizer KD needs the teacher's tokenizer"), folder.Config.VocabSize);
    }

    internal override NeoTeacher Clone() => new TeacherModel(ModelPath);

    internal override JsonObject ToRecord() => new() { ["kind"] = "model", ["model_path"] = ModelPath };
}
