namespace Microsoft.ML.Neo;

/// <summary>
/// A dataset of a teacher's top-K log-probabilities, used by NeoDistill as the teacher instead of a model
/// (<see cref="NeoDistillOptions.TeacherLogits"/>): distillation without running the teacher. Each row holds a token
/// sequence (<c>input_ids</c>) and, for each position t, the teacher's top ids and log-probabilities for token t + 1.
/// An example takes the row whose <c>input_ids</c> are exactly the tokens the student's tokenizer and chat template make
/// of its prompt and response. Layouts read (Parquet files, JSON lines, or a folder of them): axolotl's KD fields
/// (<c>target_token_ids</c>, <c>target_logprobs</c>, <c>target_mask</c>), DistillKit's uncompressed rows
/// (<c>token_ids</c>, <c>top_values</c>) and DistillKit's compressed rows (<c>compressed_logprobs</c>,
/// <c>bytepacked_indices</c>, with <see cref="DistillKitConfigPath"/>). <c>neo capture-logits</c> writes them.
/// </summary>
public sealed class TeacherLogits
{
    /// <summary>A .parquet or .jsonl file, or a folder of them (read in name order). Required.</summary>
    public string Path { get; set; } = "";

    /// <summary>
    /// For DistillKit's compressed rows: a JSON file with the <c>logprob_compressor</c> settings they were written with
    /// (<c>d</c>, <c>k</c>, <c>exact_k</c>, <c>exact_dtype</c>, <c>polynomial_terms</c>, <c>term_dtype</c>,
    /// <c>residual_bins</c>, <c>delta_encoding</c>, <c>normalize_t</c>: DistillKit's own names). Null (default) for the
    /// other layouts.
    /// </summary>
    public string? DistillKitConfigPath { get; set; }

    internal TeacherLogits Clone() => new() { Path = Path, DistillKitConfigPath = DistillKitConfigPath };

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
            throw new ArgumentException("TeacherLogits.Path must name a teacher-logit dataset (a .parquet or .jsonl file, or a folder of them).", nameof(Path));
    }
}
