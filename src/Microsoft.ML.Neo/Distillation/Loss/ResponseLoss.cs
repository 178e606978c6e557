using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Distillation.Loss;

/// <summary>Mean cross-entropy of a model on the response tokens of some examples (validation loss; perplexity is its exp).</summary>
internal static class ResponseLoss
{
    public static double Mean(LlamaForCausalLM model, IReadOnlyList<EncodedExample> examples, int padId, int batchSize = 16)
    {
        if (examples.Count == 0) throw new ArgumentException("No examples to measure the loss on.", nameof(examples));
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            double sum = 0;
            long tokens = 0;
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var batch = TokenBatch.Create(examples.Skip(start).Take(batchSize).ToList(), padId, model.Device);
                var terms = DistillationLoss.Compute(model.LogitsAt(batch.Inputs, batch.ResponseRows), batch.Targets,
                    teacher: null, LossSettings.CrossEntropyOnly);
                long count = batch.ResponseTokenCount;
                sum += terms.CrossEntropy.item<float>() * count;
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
