using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Teachers;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers;

/// <summary>The cache in front of a real local teacher: same answers, written once, and then the teacher can go.</summary>
[TestClass]
public sealed class CachedTeacherTests
{
    private static List<EncodedExample> Examples(int count, int seed, PrimingStrategy priming = PrimingStrategy.None)
    {
        var encoder = new PromptResponseEncoder(EmbeddedTask.CreateTokenizer(), 512);
        return ArithmeticWordProblems.Generate(count, seed).Select(p => encoder.Encode(p.Prompt, p.Solution,
            priming == PrimingStrategy.None ? null : PrimingPrompts.Render(priming, p.Prompt))!).ToList();
    }

    [TestMethod]
    public void CachedScoresAreTheLocalTeachersTopKAndOutliveIt()
    {
        using var folder = new TempDirectory();
        string teacherPath = TinyCheckpoints.Create(folder.Sub("teacher"), TinyCheckpoints.Config(hidden: 64, context: 512), seed: 40);
        int vocab = TinyCheckpoints.TokenizerSize;
        var examples = Examples(5, seed: 2, PrimingStrategy.Teacher);
        using var scope = NewDisposeScope();
        var batch = TokenBatch.Create(examples.Take(3).ToList(), padId: 2);

        using var local = LocalTeacher.Load(teacherPath, CPU);
        var dense = local.Score(batch, vocab).All();                                         // [M, V]
        Assert.IsFalse(dense.IsTopK);
        Assert.AreEqual((long)batch.ResponseTokenCount, dense.Logits.shape[0]);
        var (expectedLogits, expectedIds) = dense.Logits.topk(8, dim: -1);             // [M, 8] each

        using (var cached = new CachedTeacher(LocalTeacher.Load(teacherPath, CPU), folder.Sub("cache"), topK: 8, encoding: TeacherCacheEncoding.Exact))
        {
            cached.PrepareScores(examples.Take(3).ToList(), vocab, padId: 2, _ => { });
            var fromCache = cached.Score(batch, vocab).All();                                 // read back after the teacher is gone
            Assert.IsTrue(fromCache.IsTopK);
            Assert.IsTrue(TensorAssert.Identical(expectedIds, fromCache.Ids!), "the same top ids, in order");
            Assert.IsTrue(TensorAssert.Identical(expectedLogits, fromCache.Logits), "their logits, exactly");
            var unseen = TokenBatch.Create(examples.Skip(3).ToList(), padId: 2);
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => cached.Score(unseen, vocab));
            StringAssert.Contains(e.Message, "released");
        }
        long size = new FileInfo(Path.Combine(folder.Sub("cache"), TeacherScoreCache.FileName)).Length;

        // A new run over the same folder scores only what is missing, and on demand when not prepared.
        using (var again = new CachedTeacher(LocalTeacher.Load(teacherPath, CPU), folder.Sub("cache"), topK: 8, encoding: TeacherCacheEncoding.Exact))
        {
            Assert.IsTrue(TensorAssert.Identical(expectedIds, again.Score(batch, vocab).All().Ids!));
            Assert.AreEqual(size, new FileInfo(Path.Combine(folder.Sub("cache"), TeacherScoreCache.FileName)).Length, "nothing rescored");
            again.Score(TokenBatch.Create(examples.Skip(3).ToList(), padId: 2), vocab);
        }
        Assert.IsTrue(new FileInfo(Path.Combine(folder.Sub("cache"), TeacherScoreCache.FileName)).Length > size, "the misses were scored and kept");
    }

    [TestMethod]
    public void GenerationsComeFromTheCacheTheSecondTime()
    {
        using var folder = new TempDirectory();
        string teacherPath = TinyCheckpoints.Create(folder.Sub("teacher"), TinyCheckpoints.Config(hidden: 64), seed: 41);
        var prompt = new[] { 1, 40, 50, 60 };
        int[] first;
        using (var cached = new CachedTeacher(LocalTeacher.Load(teacherPath, CPU), folder.Sub("cache"), topK: 4))
        {
            first = cached.Generate(prompt, 6, new[] { 2 });
            Assert.AreEqual(0, cached.GenerationHits);
            CollectionAssert.AreEqual(first, cached.Generate(prompt, 6, new[] { 2 }));
            Assert.AreEqual(1, cached.GenerationHits);
            StringAssert.Contains(cached.CacheSummary, "1 from the cache");
        }
        using var local = LocalTeacher.Load(teacherPath, CPU);
        CollectionAssert.AreEqual(local.Generate(prompt, 6, new[] { 2 }), first, "the cache returns what the teacher generates");
    }
}
