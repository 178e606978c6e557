using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers;

/// <summary>
/// The teacher seam's batched generation (sequence-level KD writes a block of responses at once): a local teacher's
/// batch equals its one-at-a-time answers, and the cache serves what it holds and asks the teacher only for the rest.
/// </summary>
[TestClass]
public sealed class TeacherBatchGenerationTests
{
    private static readonly int[] Stops = { 2 };

    private static List<int[]> Prompts(int vocab)
    {
        var random = new Random(4);
        // Lengths 1 to 40, and one that fills the context (nothing to generate).
        return new[] { 3, 1, 40, 7, 64 }.Select(n => Enumerable.Range(0, n).Select(_ => random.Next(3, vocab)).ToArray()).ToList();
    }

    [TestMethod]
    public void ALocalTeachersBatchEqualsItsAnswersOneAtATime()
    {
        manual_seed(21);
        using var teacher = new LocalTeacher(new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 64, context: 64)), folder: null);
        var prompts = Prompts(TinyCheckpoints.TokenizerSize);
        var alone = prompts.Select(p => teacher.Generate(p, 20, Stops)).ToList();
        var batched = teacher.Generate(prompts, 20, Stops);
        for (int i = 0; i < prompts.Count; i++) CollectionAssert.AreEqual(alone[i], batched[i], $"prompt {i}");
        Assert.AreEqual(0, batched[^1].Length, "a prompt that fills the context gets nothing");
    }

    [TestMethod]
    public void TheCacheServesWhatItHoldsAndBatchesTheRest()
    {
        using var folder = new TempDirectory();
        string path = TinyCheckpoints.Create(folder.Sub("teacher"), TinyCheckpoints.Config(hidden: 64, context: 64), seed: 22);
        var prompts = Prompts(TinyCheckpoints.TokenizerSize);
        int[][] first, second;
        using (var teacher = new CachedTeacher(LocalTeacher.Load(path, CPU), folder.Sub("cache"), topK: 8))
        {
            var one = teacher.Generate(prompts[0], 20, Stops); // cached before the batch
            first = teacher.Generate(prompts, 20, Stops);
            CollectionAssert.AreEqual(one, first[0]);
            Assert.AreEqual(1, teacher.GenerationHits, "the first prompt came from the cache");
        }
        using (var teacher = new CachedTeacher(LocalTeacher.Load(path, CPU), folder.Sub("cache"), topK: 8))
        {
            second = teacher.Generate(prompts, 20, Stops);
            Assert.AreEqual(4, teacher.GenerationHits, "every answer from the cache (the full prompt had nothing to ask)");
        }
        using var local = LocalTeacher.Load(path, CPU);
        for (int i = 0; i < prompts.Count; i++)
        {
            CollectionAssert.AreEqual(local.Generate(prompts[i], 20, Stops), first[i], $"prompt {i}");
            CollectionAssert.AreEqual(first[i], second[i], $"prompt {i} from the cache");
        }
    }
}
