namespace Microsoft.ML.Neo.Distillation;

/// <summary>Which divergence between the temperature-softened teacher and student distributions the KD term uses.</summary>
public enum Divergence
{
    /// <summary>KL(teacher ‖ student): the student covers every mode of the teacher (mean-seeking). LLM-NEO's choice.</summary>
    ForwardKL,
    /// <summary>KL(student ‖ teacher): the student concentrates on the teacher's main modes (mode-seeking), as in MiniLLM.</summary>
    ReverseKL,
}
