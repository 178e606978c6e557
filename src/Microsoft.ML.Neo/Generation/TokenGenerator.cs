using TorchSharp;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Generation;

/// <summary>Autoregressive decoding of one sequence, with or without a KV cache.</summary>
internal static class TokenGenerator
{
    /// <summary>Returns the generated ids after <paramref name="promptIds"/>, stopping at (and leaving out) any of <paramref name="stopIds"/>.</summary>
    public static int[] Generate(DecoderForCausalLM model, IReadOnlyList<int> promptIds, GenerationOptions options, IReadOnlyCollection<int> stopIds) =>
        Stream(model, promptIds, options, stopIds, CancellationToken.None).ToArray();

    /// <summary>
    /// Yields each generated id as soon as it is picked, stopping at (and leaving out) any of
    /// <paramref name="stopIds"/>, after <see cref="GenerationOptions.MaxNewTokens"/>, or at the end of the context.
    /// Each step runs in its own dispose scope and gradient-free block, closed before the id is yielded, so the caller's
    /// code between ids (on any thread) is untouched by them.
    /// </summary>
    public static IEnumerable<int> Stream(DecoderForCausalLM model, IReadOnlyList<int> promptIds, GenerationOptions options,
        IReadOnlyCollection<int> stopIds, CancellationToken cancellation)
    {
        options.Validate();
        if (promptIds.Count == 0) throw new ArgumentException("The prompt must contain at least one token.", nameof(promptIds));
        int contextLength = model.Config.ContextLength;
        if (promptIds.Count >= contextLength)
            throw new ArgumentException($"The prompt has {promptIds.Count} tokens; the model's context is {contextLength}.", nameof(promptIds));
        return StreamValidated(model, promptIds, options, stopIds, cancellation);
    }

    private static IEnumerable<int> StreamValidated(DecoderForCausalLM model, IReadOnlyList<int> promptIds, GenerationOptions options,
        IReadOnlyCollection<int> stopIds, CancellationToken cancellation)
    {
        using var generator = options.Temperature > 0 ? new Generator((ulong)options.Seed) : null;
        using var cache = options.UseKvCache ? model.NewCache() : null;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            var sequence = new List<int>(promptIds);
            int maxNew = Math.Min(options.MaxNewTokens, model.Config.ContextLength - promptIds.Count);
            for (int step = 0; step < maxNew; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                int next;
                using (no_grad())
                using (NewDisposeScope())
                {
                    // With a cache only the tokens it has not seen are fed; without one, the whole sequence.
                    var feed = cache is null ? sequence : sequence.Skip((int)cache.Length).ToList();
                    var input = tensor(feed.Select(id => (long)id).ToArray(), new long[] { 1, feed.Count }).to(model.Device); // [1, T]
                    // Only the last position's logits are read: the head runs on that row alone.
                    var hidden = model.Hidden(input, cache);                    // [1, T, C]
                    var last = model.Head(hidden[0, -1]).to(ScalarType.Float32); // [V]
                    NonFiniteLogitsException.ThrowIfAny(last, "The model");
                    next = PickToken(last, options, generator);
                }
                if (stopIds.Contains(next)) yield break;
                sequence.Add(next);
                yield return next;
            }
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    internal static int PickToken(Tensor logits, GenerationOptions options, Generator? generator)
    {
        if (options.Temperature == 0) return (int)logits.argmax().item<long>();
        var probabilities = softmax(logits.DividedBy(options.Temperature), dim: -1); // [V]
        if (options.TopP < 1)
        {
            var (sorted, order) = probabilities.sort(descending: true);      // [V] each
            var before = sorted.cumsum(0) - sorted;                          // mass of strictly more likely tokens
            using var topP = options.TopP.ToScalar();
            var kept = sorted.FilledWhere(before >= topP, 0);
            probabilities = zeros_like(probabilities).scatter(0, order, kept);
        }
        return (int)multinomial(probabilities, 1, generator: generator).item<long>();
    }
}
