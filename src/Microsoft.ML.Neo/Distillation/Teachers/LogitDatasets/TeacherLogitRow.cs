namespace Microsoft.ML.Neo.Distillation.Teachers.LogitDatasets;

/// <summary>
/// One row of a teacher-logit dataset: a token sequence and, for position t, the teacher's top ids and
/// log-probabilities for token t + 1 (the distribution its logits at t give, as Hugging Face models, DistillKit and
/// axolotl align them). A position may be empty (no scores kept there); a row may have fewer positions than tokens.
/// </summary>
/// <param name="Source">Where the row is, for messages: "file.parquet, row 12".</param>
internal sealed record TeacherLogitRow(string Source, int[] TokenIds, Func<int, (int[] Ids, float[] Logprobs)> Position, int PositionCount);
