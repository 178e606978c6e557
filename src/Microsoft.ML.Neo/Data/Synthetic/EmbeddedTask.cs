using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Distillation.Loss;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Tokenization;
using Microsoft.ML.Neo.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Data.Synthetic;

/// <summary>
/// Builds the quickstart's models from scratch: the task's tokenizer and full-parameter training of a
/// Llama-architecture model on generated word problems.
/// </summary>
public static class EmbeddedTask
{
    /// <summary>The SentencePiece tokenizer of the synthetic task: characters, byte fallback, and one piece per template word.</summary>
    public static TokenizerFiles CreateTokenizer() =>
        TokenizerFiles.FromBytes(SentencePieceModelBuilder.BuildForWords(
            ArithmeticWordProblems.Characters(), ArithmeticWordProblems.Vocabulary()), "embedded tokenizer");

    /// <summary>
    /// Creates a randomly initialised model (seeded) and trains every weight with cross-entropy on the problems'
    /// solutions. Returns the trained model; the caller owns it.
    /// </summary>
    public static CausalLM TrainFromScratch(ModelConfig config, IReadOnlyList<WordProblem> problems, int epochs,
        int batchSize, double learningRate, int seed, IProgress<TrainingProgress>? progress = null, int maxSteps = 0) =>
        TrainFromScratch(config, problems.Select(p => (p.Prompt, p.Solution)).ToList(), epochs, batchSize, learningRate, seed, progress, maxSteps);

    /// <summary>As above, on prompt/response pairs (for example <see cref="PrimedTeacherData"/>).</summary>
    public static CausalLM TrainFromScratch(ModelConfig config, IReadOnlyList<(string Prompt, string Response)> pairs, int epochs,
        int batchSize, double learningRate, int seed, IProgress<TrainingProgress>? progress = null, int maxSteps = 0)
    {
        var tokenizer = CreateTokenizer();
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
