using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Tests.Distillation.Loss;
using Microsoft.ML.Neo.Data.Synthetic;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers;

[TestClass]
public sealed class TeacherScoreCacheTests
{
    [TestMethod]
    public void RecordsRoundTripAndSurviveACrashMidRecord()
    {
        using var dir = new TempDirectory();
        string a = TeacherScoreCache.Key("t", new[] { 1, 2, 3 }, 2, 2), b = TeacherScoreCache.Key("t", new[] { 1, 2, 4 }, 2, 2);
        using (var cache = new TeacherScoreCache(dir.Path))
        {
            cache.Add(a, 2, 2, new[] { 5, 6, 7, 8 }, new[] { 1f, 0.5f, 2f, -1f });
            cache.Add(b, 1, 2, new[] { 9, 3 }, new[] { 0f, 0f });
        }
        string file = Path.Combine(dir.Path, TeacherScoreCache.FileName);
        // A record cut short by a crash: its header promises 3 × 2 scores, and only part of them made it to disk.
        using (var stream = new FileStream(file, FileMode.Append))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(new byte[32]);
            writer.Write(3);
            writer.Write(2);
            writer.Write(new byte[20]);
        }
        using (var cache = new TeacherScoreCache(dir.Path))
        {
            var record = cache.Read(a);
            Assert.AreEqual((2, 2), (record.Positions, record.TopK));
            CollectionAssert.AreEqual(new[] { 5, 6, 7, 8 }, record.Ids);
            CollectionAssert.AreEqual(new[] { 1f, 0.5f, 2f, -1f }, record.Logits);
            Assert.IsTrue(cache.Contains(b));
            Assert.IsFalse(cache.Contains(TeacherScoreCache.Key("other teacher", new[] { 1, 2, 3 }, 2, 2)));
        }
        Assert.AreEqual(2 * (32 + 8) + 8 * (4 + 2), new FileInfo(file).Length, "the partial record was cut off");
    }

    [TestMethod]
    public void TopKLossWithTheWholeVocabularyEqualsOnlineForwardKl()
    {
        manual_seed(3);
        var student = randn(2, 5, 11);                              // [B, T, V]
        var teacher = randn(2, 5, 11) * 2;                          // [B, T, V]
        var labels = tensor(new long[] { -100, -100, 3, 4, 2, -100, 7, 1, -100, -100 }, new long[] { 2, 5 });
        var online = LossOnPositions.Compute(student, teacher, labels, 0.6f, 2f, Divergence.ForwardKL);
        var rows = labels.reshape(-1).ne(-100).nonzero().reshape(-1);
        var (values, ids) = teacher.reshape(-1, 11).index_select(0, rows).topk(11, dim: -1);
        var cached = LossOnPositions.ComputeTopK(student, labels, ids, values, 0.6f, 2f);
        Assert.AreEqual(online.Divergence.item<float>(), cached.Divergence.item<float>(), 1e-5);
        Assert.AreEqual(online.Total.item<float>(), cached.Total.item<float>(), 1e-5);
        // Fewer ids than the vocabulary: an approximation, still a divergence (non-negative).
        var (top3, top3Ids) = teacher.reshape(-1, 11).index_select(0, rows).topk(3, dim: -1);
        Assert.IsTrue(LossOnPositions.ComputeTopK(student, labels, top3Ids, top3, 0.6f, 2f).Divergence.item<float>() >= 0);
    }
}
