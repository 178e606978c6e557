using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Teachers;

namespace Microsoft.ML.Neo;

/// <summary>
/// A dataset of a teacher's top-K log-probabilities, used by NeoDistill as the teacher instead of a model
/// (a kind of <see cref="NeoTeacher"/>): distillation without running the teacher. Logits mode only, without on-policy
/// steps; its scores are copied into <see cref="NeoDistillOptions.TeacherCacheDirectory"/> (or beside the checkpoints)
/// before training, in one pass over the dataset, and <see cref="NeoDistillOptions.TeacherScoreTopK"/> 0 keeps as many
/// ids per position as the dataset holds. Each row holds a token
/// sequence (<c>input_ids</c>) and, for each position t, the teacher's top ids and log-probabilities for token t + 1.
/// An example takes the row whose <c>input_ids</c> are exactly the tokens the student's tokenizer and chat template make
/// of its prompt and response. Layouts read (Parquet files, JSON lines, or a folder of them): axolotl's KD fields
/// (<c>target_token_ids</c>, <c>target_logprobs</c>, <c>target_mask</c>), DistillKit's uncompressed rows
/// (<c>token_ids</c>, <c>top_values</c>) and DistillKit's compressed rows (<c>compressed_logprobs</c>,
/// <c>bytepacked_indices</c>, with <see cref="DistillKitConfigPath"/>). <c>neo capture-logits</c> writes them.
/// </summary>
public sealed class TeacherLogits : NeoTeacher
{
    /// <summary>A dataset to set later.</summary>
    public TeacherLogits()
    {
    }

    /// <param name="path">A .parquet or .jsonl file, or a folder of them.</param>
    public TeacherLogits(string path) => Path = path;

    /// <summary>A .parquet or .jsonl file, or a folder of them (read in name order). Required.</summary>
    public string Path { get; set; } = "";

    /// <summary>
    /// For DistillKit's compressed rows: a JSON file with the <c>logprob_compressor</c> settings they were written with
    /// (<c>d</c>, <c>k</c>, <c>exact_k</c>, <c>exact_dtype</c>, <c>polynomial_terms</c>, <c>term_dtype</c>,
    /// <c>residual_bins</c>, <c>delta_encoding</c>, <c>normalize_t</c>: DistillKit's own names). Null (default) for the
    /// other layouts.
    /// </summary>
    public string? DistillKitConfigPath { get; set; }

    internal override NeoTeacher Clone() => new TeacherLogits { Path = Path, DistillKitConfigPath = DistillKitConfigPath };

    internal override int DefaultTopK => 0; // the dataset's own K, read when it is opened

    internal override bool NeedsCache => true;

    internal override string Identity => $"logits:{System.IO.Path.GetFullPath(Path)}";

    internal override string Describe() => $"the teacher-logit dataset '{Path}'";

    internal override void Validate(NeoDistillOptions options)
    {
        if (string.IsNullOrWhiteSpace(Path))
            throw new ArgumentException("TeacherLogits.Path must name a teacher-logit dataset (a .parquet or .jsonl file, or a folder of them).", nameof(Path));
        if (options.Mode != DistillationMode.Logits)
            throw new ArgumentException("A teacher-logit dataset scores fixed responses and writes none: use Mode = Logits with TeacherLogits.", nameof(NeoDistillOptions.Mode));
        if (options.OnPolicyFraction > 0)
            throw new ArgumentException("A teacher-logit dataset has no rows for the student's own samples: set OnPolicyFraction = 0 with TeacherLogits.",
                nameof(NeoDistillOptions.OnPolicyFraction));
        if (options.CrossTokenizer != CrossTokenizerLoss.None)
            throw new ArgumentException($"NeoDistillOptions.CrossTokenizer = {options.CrossTokenizer} needs a teacher model with its own tokenizer; " +
                "a teacher-logit dataset's rows are in the student's tokens. Set CrossTokenizer = None.", nameof(NeoDistillOptions.CrossTokenizer));
    }

    internal override PretrainedFolder? Check(PretrainedFolder student, TeacherSettings settings, Action<string> warn) => null; // ids are checked as rows are read

    internal override ITeacher Open(TeacherSettings settings, TeacherOpening opening)
    {
        var dataset = new Distillation.Teachers.LogitDatasets.LogitDatasetTeacher(this);
        return new CachedTeacher(dataset, settings.CacheDirectory!, settings.ScoreTopK > 0 ? settings.ScoreTopK : dataset.TopK(), keepTeacher: false,
            settings.CacheEncoding);
    }

    internal override JsonObject ToRecord() => new() { ["kind"] = "logits", ["path"] = Path, ["distillkit_config_path"] = DistillKitConfigPath };
}
