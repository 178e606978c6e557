namespace Microsoft.ML.Neo;

/// <summary>How the learning rate moves after the linear warm-up (<see cref="NeoDistillOptions.WarmupFraction"/>).</summary>
public enum LearningRateSchedule
{
    /// <summary>A half cosine from the peak down to 10 % of it at the last step (the default).</summary>
    Cosine,

    /// <summary>A straight line from the peak towards 0, reached one step after the last (Hugging Face's linear schedule).</summary>
    Linear,

    /// <summary>The peak, held to the end.</summary>
    Constant,
}
