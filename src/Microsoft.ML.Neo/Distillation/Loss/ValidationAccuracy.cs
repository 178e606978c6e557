using Microsoft.ML.Neo.Evaluation;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>
/// Answer accuracy of a student while it trains: greedy completions of the validation prompts (decoded in batches, as
/// the finished transformer would complete them) whose final number equals the reference's.
/// </summary>
internal static class ValidationAccuracy
{
    private const int BatchSize = 16;

    /// <returns>The share of rows with a reference number that the student answers right; null when no reference has one.</returns>
    public static double? Measure(DecoderForCausalLM student, TokenizerFiles tokenizer, IReadOnlyList<(string Prompt, string Response)> rows,
        int maxNewTokens, IReadOnlyCollection<int> stopIds, int padId)
    {
        var scored = rows.Select(r => (r.Prompt, Answer: AnswerExtractor.Extract(r.Response))).Where(r => r.Answer is not null).ToList();
        if (scored.Count == 0) return null;
        var prompts = scored.Select(r => (IReadOnlyList<int>)ContextWindow.KeepEnd(tokenizer.Encode(r.Prompt), student.Config.ContextLength)).ToList();
        var options = new GenerationOptions { MaxNewTokens = maxNewTokens };
        var generated = BatchGenerator.GenerateGrouped(student, prompts, BatchSize, options, stopIds, padId);
        int correct = Enumerable.Range(0, scored.Count).Count(i => AnswerExtractor.Extract(tokenizer.Decode(generated[i])) == scored[i].Answer);
        return (double)correct / scored.Count;
    }
}
