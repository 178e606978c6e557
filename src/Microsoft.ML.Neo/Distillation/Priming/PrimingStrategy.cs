namespace Microsoft.ML.Neo;

/// <summary>
/// How the teacher is prompted in response-priming distillation. The student always sees the plain prompt; the
/// teacher sees it primed, and the student learns from what the teacher does under that priming.
/// </summary>
public enum PrimingStrategy
{
    /// <summary>The teacher sees the plain prompt (ordinary KD).</summary>
    None,
    /// <summary>The paper's "Teacher" priming: the teacher is asked to guide a student through the question.</summary>
    Teacher,
    /// <summary>The paper's "Ground Truth" priming: the teacher is asked for a detailed answer small models can learn from.</summary>
    GroundTruth,
    /// <summary>
    /// "Ground Truth" priming plus the reference answer in the teacher's context (from
    /// <see cref="NeoDistillOptions.AnswerColumnName"/>), so the teacher explains a known answer.
    /// </summary>
    GroundTruthWithAnswer,
    /// <summary>The paper's "Confidence" priming: at the end of the question, ask the teacher to double-check its answer.</summary>
    Confidence,
    /// <summary><see cref="NeoDistillOptions.PrimingTemplate"/>, with <c>{question}</c> and optionally <c>{answer}</c>.</summary>
    Custom,
}

/// <summary>What the teacher produces for the student to learn from.</summary>
public enum DistillationMode
{
    /// <summary>
    /// Logit KD: the teacher scores the reference response under its (primed) prompt, and the student matches its
    /// token distributions on the same response tokens under the plain prompt.
    /// </summary>
    Logits,
    /// <summary>
    /// Sequence-level KD: the teacher writes its own response under its (primed) prompt; the student trains on it with
    /// cross-entropy, plus logit KD on the same tokens when <see cref="NeoDistillOptions.KdWeight"/> is above 0.
    /// </summary>
    Sequence,
}
