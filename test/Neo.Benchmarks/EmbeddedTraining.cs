using Microsoft.ML.Neo;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Neo.Benchmarks;

/// <summary>
/// Builds the quickstart's models from scratch: full-parameter training of a randomly initialised Llama-architecture
/// model on generated word problems, with the library's own trainer and the embedded task's tokenizer. Internal
/// machinery on purpose: these recipes made the committed checkpoints, and make-embedded must reproduce them.
/// </summary>
internal static class EmbeddedTraining
{
    /// <summary>Trains every weight with cross-entropy on the pairs' responses; returns the trained model (the caller owns it).</summary>
    public static CausalLM TrainFromScratch(ModelConfig config, IReadOnlyList<(string Prompt, string Response)> pairs, int epochs,
        int batchSize, double learningRate, int seed, IProgress<TrainingProgress>? progress = null, int maxSteps = 0, TokenizerFiles? tokenizerFiles = null)
    {
        var tokenizer = tokenizerFiles ?? EmbeddedTask.CreateTokenizer();
        if (config.VocabSize < tokenizer.VocabularySize)
            throw new ArgumentException($"vocab_size {config.VocabSize} is smaller than the tokenizer's {tokenizer.VocabularySize} pieces.");
        manual_seed(seed);
        var model = new DecoderForCausalLM(config);
        try
        {
            var encoder = new PromptResponseEncoder(tokenizer, config.ContextLength);
            var examples = pairs.Select(p => encoder.Encode(p.Prompt, p.Response)).OfType<EncodedExample>().ToList();
            // Full-parameter training on the references: the distillation objective without a teacher is plain CE.
            var trainer = new CausalLMTrainer(model, new ShuffledExampleBatches(examples, batchSize, seed),
                new DistillationObjective(teacher: null, LossSettings.CrossEntropyOnly), new TrainerSettings
                {
                    Epochs = epochs, BatchSize = batchSize, LearningRate = learningRate, WeightDecay = 0.01,
                    Seed = seed, MaxSteps = maxSteps, WarmupFraction = 0.02,
                }, padId: tokenizer.PaddingId ?? tokenizer.EndOfSequenceId!.Value)
            { OnStep = p => progress?.Report(p) };
            trainer.Train();
            model.eval();
            return new CausalLM(model, tokenizer);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
