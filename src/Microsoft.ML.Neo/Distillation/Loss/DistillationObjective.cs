using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>
/// The training objective of a distillation run: per batch, the teacher's targets are gathered once at the response
/// rows (dense or top-K, from whatever teacher sits behind <see cref="ITeacher"/>), the student's logits at the same
/// rows, and <see cref="DistillationLoss"/> mixes cross-entropy and the divergence.
/// </summary>
internal sealed class DistillationObjective : ITrainingObjective
{
    private readonly ITeacher? teacher;
    private readonly LossSettings settings;

    /// <param name="teacher">Consulted when the loss uses a teacher (KD weight above 0); may be null otherwise.</param>
    public DistillationObjective(ITeacher? teacher, LossSettings settings)
    {
        if (settings.UsesTeacher && teacher is null)
            throw new ArgumentException("A KD weight above 0 needs a teacher.", nameof(teacher));
        this.teacher = teacher;
        this.settings = settings;
    }

    public LossTerms Compute(LlamaForCausalLM student, TokenBatch batch)
    {
        using var scope = NewDisposeScope();
        var targets = settings.UsesTeacher ? teacher!.Score(batch, student.Config.VocabSize) : null;
        var terms = DistillationLoss.Compute(StudentLogitsAtResponses(student, batch), batch.Targets, targets, settings);
        return new LossTerms(terms.Total.MoveToOuterDisposeScope(), terms.CrossEntropy.MoveToOuterDisposeScope(),
            terms.Divergence.MoveToOuterDisposeScope());
    }

    public string Describe() => settings.ToString();

    /// <summary>[M, V] the model's logits at the batch's response rows.</summary>
    public static Tensor StudentLogitsAtResponses(LlamaForCausalLM model, TokenBatch batch)
    {
        return model.LogitsAt(batch.Inputs, batch.ResponseRows); // [M, V]
    }
}
