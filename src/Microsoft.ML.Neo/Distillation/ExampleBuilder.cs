using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Distillation.Teachers;

namespace Microsoft.ML.Neo.Distillation;

/// <summary>
/// Turns rows into training examples for the chosen <see cref="DistillationMode"/> and <see cref="PrimingStrategy"/>:
/// the student always reads the plain prompt; the teacher reads the primed one. In sequence mode the response is the
/// teacher's own generation under its prompt.
/// </summary>
internal sealed class ExampleBuilder
{
    private readonly DataPolicy policy;
    private readonly PromptResponseEncoder encoder;

    public ExampleBuilder(DataPolicy policy, PromptResponseEncoder encoder)
    {
        this.policy = policy;
        this.encoder = encoder;
    }

    /// <summary>The teacher's prompt for a row, or null when it reads the student's (no priming).</summary>
    public string? TeacherPrompt(TrainingRow row) => policy.Priming == PrimingStrategy.None
        ? null
        : PrimingPrompts.Render(policy.Priming, row.Prompt, row.Answer, policy.PrimingTemplate);

    /// <summary>Logit KD: the reference response after the plain and the primed prompt.</summary>
    public List<EncodedExample> FromReferences(IReadOnlyList<TrainingRow> rows) =>
        rows.Select(r => encoder.Encode(r.Prompt, r.Response, TeacherPrompt(r)) is { } e ? e with { TeacherName = r.TeacherName } : null)
            .OfType<EncodedExample>().ToList();

    /// <summary>Rows whose teacher responses are written in one batched pass.</summary>
    private const int GenerationBlock = 16;

    /// <summary>Sequence-level KD: the teacher's greedy generation under its prompt is the response to learn.</summary>
    /// <param name="studentVocabulary">Generated ids outside the student's vocabulary (a padded teacher) end the response.</param>
    public List<EncodedExample> FromTeacherGenerations(IReadOnlyList<TrainingRow> rows, ITeacher teacher, IReadOnlyCollection<int> stopIds,
        int studentVocabulary, Action<string> log)
    {
        var examples = new List<EncodedExample>(rows.Count);
        var check = policy.VerifyAnswers ? new TeacherAnswerCheck(policy.MismatchedAnswerWeight) : null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        int done = 0;
        // Blocks of rows: a teacher in this process writes a block's responses in one batched pass.
        foreach (var block in rows.Chunk(GenerationBlock))
        {
            var teacherPrompts = block.Select(TeacherPrompt).ToList();
            var promptIds = block.Select(r => encoder.EncodePrompt(r.Prompt)).ToList();
            var teacherPromptIds = block.Select((r, k) => encoder.EncodePrompt(teacherPrompts[k] ?? r.Prompt)).ToList();
            var generations = teacher.Generate(teacherPromptIds, policy.TeacherMaxNewTokens, stopIds);
            for (int k = 0; k < block.Length; k++)
            {
                var generated = generations[k];
                int end = Array.FindIndex(generated, id => id >= studentVocabulary);
                if (end >= 0) generated = generated[..end];
                float weight = 1;
                if (check is not null)
                {
                    if (check.WeightOf(block[k], encoder.Decode(generated)) is not { } checkedWeight) continue; // a wrong answer, dropped
                    weight = checkedWeight;
                }
                int[] response = [.. generated, encoder.EndOfSequenceId];
                var example = encoder.Encode(promptIds[k], response, teacherPrompts[k] is null ? null : teacherPromptIds[k]);
                if (example is not null) examples.Add(example with { LossWeight = weight });
            }
            done += block.Length;
            if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(10) || done == rows.Count)
            {
                lastReport = clock.Elapsed;
                log($"teacher generations: {done}/{rows.Count}" + (teacher.CacheSummary is { } summary ? $" ({summary})" : ""));
            }
        }
        if (check is not null) log(check.Summary());
        if (examples.Count == 0 && check is { Disagreed: > 0 })
            throw new InvalidOperationException("Every teacher response disagreed with its reference's answer and was dropped, so nothing is left to train on. " +
                "Check the answer column, or set NeoDistillOptions.MismatchedAnswerWeight above 0 to keep them with less weight.");
        return examples;
    }
}
