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
        rows.Select(r => encoder.Encode(r.Prompt, r.Response, TeacherPrompt(r))).OfType<EncodedExample>().ToList();

    /// <summary>Sequence-level KD: the teacher's greedy generation under its prompt is the response to learn.</summary>
    /// <param name="studentVocabulary">Generated ids outside the student's vocabulary (a padded teacher) end the response.</param>
    public List<EncodedExample> FromTeacherGenerations(IReadOnlyList<TrainingRow> rows, ITeacher teacher, IReadOnlyCollection<int> stopIds,
        int studentVocabulary, Action<string> log)
    {
        var examples = new List<EncodedExample>(rows.Count);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            string? teacherPrompt = TeacherPrompt(row);
            var promptIds = encoder.EncodePrompt(row.Prompt);
            var teacherPromptIds = encoder.EncodePrompt(teacherPrompt ?? row.Prompt);
            var generated = teacher.Generate(teacherPromptIds, policy.TeacherMaxNewTokens, stopIds);
            int end = Array.FindIndex(generated, id => id >= studentVocabulary);
            if (end >= 0) generated = generated[..end];
            int[] response = [.. generated, encoder.EndOfSequenceId];
            var example = encoder.Encode(promptIds, response, teacherPrompt is null ? null : teacherPromptIds);
            if (example is not null) examples.Add(example);
            if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(10) || i == rows.Count - 1)
            {
                lastReport = clock.Elapsed;
                log($"teacher generations: {i + 1}/{rows.Count}" + (teacher.CacheSummary is { } summary ? $" ({summary})" : ""));
            }
        }
        return examples;
    }
}
