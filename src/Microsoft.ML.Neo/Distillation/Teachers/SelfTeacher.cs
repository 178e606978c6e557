using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Distillation.Teachers;

namespace Microsoft.ML.Neo;

/// <summary>
/// Self-distillation: the teacher is the student's own frozen base, the model in
/// <see cref="NeoDistillOptions.StudentModelPath"/> with its adapters turned off for each teacher pass. No second model
/// is loaded. It learns from what that base does with a context the student does not see: set
/// <see cref="NeoDistillOptions.Priming"/> (GroundTruthWithAnswer shows it the reference answer, as TRL's SDFT and
/// prompt distillation do). Without priming the teacher starts equal to the student and KD holds the student near its
/// base. Needs <see cref="Finetuning.Lora"/> (full fine-tuning has no frozen copy; use a <see cref="TeacherModel"/> of
/// the student's folder for a separate one). Its tokenizer is the student's, so no cross-tokenizer loss applies.
/// </summary>
public sealed class SelfTeacher : NeoTeacher
{
    internal override int DefaultTopK => 0;

    internal override string Identity => "self";

    internal override string Describe() => "self-distillation (--self-distill)";

    internal override void Validate(NeoDistillOptions options)
    {
        if (options.Finetuning != Finetuning.Lora)
            throw new ArgumentException("SelfTeacher needs NeoDistillOptions.Finetuning = Lora: the teacher is the base with the adapters off, " +
                "and full fine-tuning changes the base itself. For a separate frozen copy, set Teacher to a TeacherModel of the student's folder.",
                nameof(NeoDistillOptions.Finetuning));
        if (options.CrossTokenizer != CrossTokenizerLoss.None)
            throw new ArgumentException($"NeoDistillOptions.CrossTokenizer = {options.CrossTokenizer} needs a teacher model with its own tokenizer; " +
                "self-distillation's teacher is the student's own base. Set CrossTokenizer = None.", nameof(NeoDistillOptions.CrossTokenizer));
    }

    internal override PretrainedFolder? Check(PretrainedFolder student, TeacherSettings settings, Action<string> warn) => null; // the base is the student

    internal override ITeacher Open(TeacherSettings settings, TeacherOpening opening)
    {
        var self = LocalTeacher.BaseOf(opening.Student ?? throw new ArgumentNullException(nameof(opening), "self-distillation needs the student"),
            opening.StudentFolder ?? throw new ArgumentNullException(nameof(opening), "self-distillation needs the student's folder"));
        return TeacherSource.CachedOrTopK(self, settings, opening.ScoresDuringTraining);
    }

    internal override NeoTeacher Clone() => new SelfTeacher();

    internal override JsonObject ToRecord() => new() { ["kind"] = "self" };
}
