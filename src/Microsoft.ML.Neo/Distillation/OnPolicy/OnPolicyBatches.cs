using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Training;

namespace Microsoft.ML.Neo.Distillation.OnPolicy;

/// <summary>
/// On-policy distillation (GKD's λ, Agarwal et al. 2024; Thinking Machines' on-policy distillation): a fraction of the
/// steps train on responses the student samples itself, just before the step, from the prompts of the planned batch.
/// The teacher then scores the student's own tokens and the loss is the divergence alone, so the student learns what
/// the teacher thinks of the sequences it actually produces rather than only of reference sequences it would not write.
/// <para>
/// Which steps are on-policy, and every sampled token, follow from the seed and the step number alone, so a run gives
/// the same model again, and a resumed run (whose student at each step is restored exactly) samples what the
/// uninterrupted run sampled. The other steps train on the planned batch unchanged.
/// </para>
/// </summary>
internal sealed class OnPolicyBatches : IBatchSource
{
    private readonly IBatchSource planned;
    private readonly OnPolicySettings settings;
    private readonly PromptResponseEncoder encoder;
    private readonly IReadOnlyCollection<int> stopIds;
    private readonly int seed;

    /// <param name="planned">The batches as the data gives them; their prompts are kept and their responses replaced.</param>
    /// <param name="encoder">Fits the student's response to the run's context (and the primed teacher's) and ends it with EOS.</param>
    /// <param name="stopIds">Ids that end a student's sample.</param>
    public OnPolicyBatches(IBatchSource planned, OnPolicySettings settings, PromptResponseEncoder encoder, IReadOnlyCollection<int> stopIds, int seed)
    {
        this.planned = planned;
        this.settings = settings;
        this.encoder = encoder;
        this.stopIds = stopIds;
        this.seed = seed;
    }

    public int StepsPerEpoch => planned.StepsPerEpoch;

    public IEnumerable<IReadOnlyList<EncodedExample>> Epoch(int epoch) => planned.Epoch(epoch);

    public IReadOnlyList<EncodedExample> Realize(IReadOnlyList<EncodedExample> batch, DecoderForCausalLM student, int step, StepPhases phases)
    {
        batch = planned.Realize(batch, student, step, phases);
        if (!IsOnPolicy(step)) return batch;
        using var _ = phases.Time(TrainingPhase.StudentGeneration);
        // The whole batch samples at once (one batched decoding pass), each row from its own seed, so every row draws
        // what it would draw alone and the step's samples do not depend on the batch's order.
        var prompts = batch.Select(e => (IReadOnlyList<int>)e.TokenIds[..e.ResponseStart]).ToList();
        var options = new GenerationOptions { MaxNewTokens = settings.MaxNewTokens, Temperature = settings.Temperature };
        var samples = BatchGenerator.Generate(student, prompts, options, stopIds, encoder.EndOfSequenceId,
            Enumerable.Range(0, batch.Count).Select(i => SampleSeed(step, i)).ToList());
        var realised = new List<EncodedExample>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            var example = batch[i];
            var prompt = example.TokenIds[..example.ResponseStart];
            var sampled = samples[i];
            // Shorter than asked means a stop id ended it: the student learns to end there with the EOS every response has.
            bool ended = sampled.Length < Math.Min(options.MaxNewTokens, student.Config.ContextLength - prompt.Length);
            int[] response = ended ? [.. sampled, encoder.EndOfSequenceId] : sampled;
            var teacherPrompt = example.TeacherTokenIds?[..example.TeacherResponseStart];
            var made = response.Length == 0 ? null : encoder.Encode(prompt, response, teacherPrompt);
            realised.Add(made is null ? example : new EncodedExample(made.TokenIds, made.ResponseStart, made.TeacherTokenIds, made.TeacherResponseStart)
            {
                StudentGenerated = true, TeacherName = example.TeacherName,
            });
        }
        return realised;
    }

    /// <summary>Whether step <paramref name="step"/> (0-based) trains on the student's samples: a coin of weight λ, seeded by the run's seed and the step.</summary>
    public bool IsOnPolicy(int step) =>
        settings.Fraction >= 1 || (settings.Fraction > 0 && (Mix(seed, step, -1) >>> 11) * (1.0 / (1L << 53)) < settings.Fraction);

    private int SampleSeed(int step, int index) => (int)(Mix(seed, step, index) >>> 33);

    // SplitMix64 over the three numbers: the same on every machine and in every process (HashCode is randomised per process).
    private static ulong Mix(int a, int b, int c)
    {
        ulong x = 0;
        foreach (int value in (ReadOnlySpan<int>)[a, b, c])
        {
            x += 0x9E3779B97F4A7C15UL + (uint)value;
            x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >>> 27)) * 0x94D049BB133111EBUL;
            x ^= x >>> 31;
        }
        return x;
    }

    public string Describe() => $"{planned.Describe()};on-policy {settings}";
}
