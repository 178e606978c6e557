namespace Microsoft.ML.Neo;

/// <summary>Which of the student's weights a NeoDistill run trains.</summary>
public enum Finetuning
{
    /// <summary>LoRA adapters on the frozen base (LLM-NEO, and plain LoRA with KdWeight 0). The default.</summary>
    Lora,

    /// <summary>
    /// Every weight of the student, in float32 whatever the precision of the teacher: full-parameter KD, or SFT with
    /// KdWeight 0. The baselines of LLM-NEO's comparison; its learning rate needs its own sweep, and AdamW keeps
    /// two float32 moments per weight (three times the student's float32 size on top of its weights and gradients).
    /// </summary>
    Full,
}
