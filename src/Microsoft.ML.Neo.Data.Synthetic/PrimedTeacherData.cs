using Microsoft.ML.Neo.Distillation;

namespace Microsoft.ML.Neo.Data.Synthetic;

/// <summary>
/// Training pairs for the embedded priming-aware teacher, a stand-in for a large model that follows instructions.
/// A tiny model cannot follow the paper's priming texts, so it is taught what they do here: a plain prompt is answered
/// in a careless mode (a share of its training solutions end with a slightly wrong result), while a prompt carrying any
/// of the priming texts is always answered with the correct solution; with <see cref="PrimingStrategy.GroundTruthWithAnswer"/>
/// the answer is also in the prompt. Priming therefore really changes the teacher's outputs and its distribution over
/// the reference solution's tokens, which is what response-priming distillation passes on to the student.
/// </summary>
public static class PrimedTeacherData
{
    private static readonly PrimingStrategy[] Primed =
    {
        PrimingStrategy.Teacher, PrimingStrategy.GroundTruth, PrimingStrategy.GroundTruthWithAnswer, PrimingStrategy.Confidence,
    };

    /// <summary>Pairs for training: 40 % plain prompts, 15 % under each of the four primings.</summary>
    /// <param name="sloppiness">Share of plain-prompt solutions whose result is off by 1 to 3, in [0, 1].</param>
    public static List<(string Prompt, string Response)> Generate(IReadOnlyList<WordProblem> problems, int seed, double sloppiness = 0.3)
    {
        if (sloppiness is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(sloppiness), sloppiness, "Sloppiness must be in [0, 1].");
        return Generate(problems, seed, (_, problem, random) => random.NextDouble() < sloppiness ? WithWrongResult(problem, random) : problem.Solution);
    }

    /// <summary>
    /// As above, but a plain prompt is answered with the careless reference at the same index: for example the same
    /// problems drawn by <see cref="StyledWordProblems"/> with <see cref="ReferenceNoise"/>, whose slips carry into the
    /// next step as a careless person's would.
    /// </summary>
    public static List<(string Prompt, string Response)> Generate(IReadOnlyList<WordProblem> problems, int seed, IReadOnlyList<WordProblem> carelessReferences)
    {
        ArgumentNullException.ThrowIfNull(carelessReferences);
        if (carelessReferences.Count != problems.Count)
            throw new ArgumentException($"{carelessReferences.Count} careless references for {problems.Count} problems; give one per problem.", nameof(carelessReferences));
        return Generate(problems, seed, (index, _, _) => carelessReferences[index].Solution);
    }

    private static List<(string Prompt, string Response)> Generate(IReadOnlyList<WordProblem> problems, int seed, Func<int, WordProblem, Random, string> plainResponse)
    {
        var random = new Random(seed);
        var pairs = new List<(string, string)>(problems.Count);
        for (int index = 0; index < problems.Count; index++)
        {
            var problem = problems[index];
            double draw = random.NextDouble();
            if (draw < 0.4)
            {
                pairs.Add((problem.Prompt, plainResponse(index, problem, random)));
                continue;
            }
            var priming = Primed[Math.Min(Primed.Length - 1, (int)((draw - 0.4) / 0.15))];
            pairs.Add((PrimingPrompts.Render(priming, problem.Prompt, problem.Answer.ToString()), problem.Solution));
        }
        return pairs;
    }

    /// <summary>The solution with its final result (last equation and the #### line) off by 1 to 3.</summary>
    public static string WithWrongResult(WordProblem problem, Random random)
    {
        int wrong;
        do wrong = problem.Answer + random.Next(-3, 4);
        while (wrong == problem.Answer || wrong < 0);
        string solution = problem.Solution;
        int equation = solution.LastIndexOf($"={problem.Answer} ", StringComparison.Ordinal);
        if (equation >= 0) solution = solution[..equation] + $"={wrong} " + solution[(equation + $"={problem.Answer} ".Length)..];
        return solution.Replace($"#### {problem.Answer}", $"#### {wrong}", StringComparison.Ordinal);
    }
}
