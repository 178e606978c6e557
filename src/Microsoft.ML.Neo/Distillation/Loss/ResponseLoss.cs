using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>Mean cross-entropy of a model on the response tokens of some examples (validation loss; perplexity is its exp).</summary>
internal static class ResponseLoss
{
    public static double Mean(DecoderForCausalLM model, IReadOnlyList<EncodedExample> examples, int padId, int batchSize = 16)
    {
        if (examples.Count == 0) throw new ArgumentException("No examples to measure the loss on.", nameof(examples));
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            var objective = new DistillationObjective(teacher: null, LossSettings.CrossEntropyOnly);
            double sum = 0;
            long tokens = 0;
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var batch = TokenBatch.Create(examples.Skip(start).Take(batchSize).ToList(), padId, model.Device);
                long count = batch.ResponseTokenCount;
                sum += objective.Measure(model, batch).CrossEntropy * count;
                tokens += count;
            }
            return sum / tokens;
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
