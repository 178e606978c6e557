using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Generation;

namespace Microsoft.ML.Neo.Evaluation;

/// <summary>Exact-match accuracy of a model's greedy completions on word problems.</summary>
public static class ExactMatchEvaluator
{
    /// <summary>Share of problems (0..1) whose extracted answer equals the reference answer.</summary>
    public static double Accuracy(CausalLM model, IReadOnlyList<WordProblem> problems, int maxNewTokens = 64)
    {
        if (problems.Count == 0) throw new ArgumentException("No problems to evaluate.", nameof(problems));
        var options = new GenerationOptions { MaxNewTokens = maxNewTokens };
        int correct = problems.Count(p => AnswerExtractor.Extract(model.Generate(p.Prompt, options)) == p.Answer);
        return (double)correct / problems.Count;
    }
}
