namespace Microsoft.ML.Neo.Distillation;

/// <summary>One row of NeoDistill's input: the prompt, the reference response and, for answer priming, the reference answer.</summary>
internal sealed record TrainingRow(string Prompt, string Response, string? Answer = null, string? TeacherName = null);
