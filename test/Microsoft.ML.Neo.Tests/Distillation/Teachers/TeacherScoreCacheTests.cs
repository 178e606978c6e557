using Microsoft.ML.Neo.Distillation;
using Microsoft.ML.Neo.Distillation.Teachers;
using Microsoft.ML.Neo.Integrity;
using Microsoft.ML.Neo.Tests.Distillation.Loss;
using Microsoft.ML.Neo.Data.Synthetic;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers;

[TestClass]
public sealed class TeacherScoreCacheTests
{
    [TestMethod]
    public void ExactRecordsRoundTripBitForBitAndSurviveACrashMidRecord()
    {
        using var dir = new TempDirectory();
        string a = TeacherScoreCache.Key("t", new[] { 1, 2, 3 }, 2, 2), b = TeacherScoreCache.Key("t", new[] { 1, 2, 4 }, 2, 2);
        using (var cache = new TeacherScoreCache(dir.Path, TopKCodec.ExactBits))
        {
            cache.Add(a, 2, 2, new[] { 70000, 6, 7, 8 }, new[] { 1.25f, 0.5f, 2f, -1f });
            cache.Add(b, 1, 2, new[] { 9, 3 }, new[] { 0f, -0.1f });
        }
        string file = Path.Combine(dir.Path, TeacherScoreCache.FileName);
        long whole = new FileInfo(file).Length;
        // A record cut short by a crash: its header promises a payload, and only part of it made it to disk.
        using (var stream = new FileStream(file, FileMode.Append))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(new byte[32]);
            writer.Write(3);
            writer.Write(2);
            writer.Write(100);
            writer.Write(new byte[20]);
        }
        using (var cache = new TeacherScoreCache(dir.Path, TopKCodec.CompactBits))
        {
            Assert.AreEqual((2, TopKCodec.ExactBits), (cache.Version, cache.ValueBits), "an existing cache keeps its encoding");
            var record = cache.Read(a);
            Assert.AreEqual((2, 2), (record.Positions, record.TopK));
            CollectionAssert.AreEqual(new[] { 70000, 6, 7, 8 }, record.Ids, "best first, as written");
            CollectionAssert.AreEqual(new[] { 1.25f, 0.5f, 2f, -1f }, record.Logits);
            Assert.IsTrue(cache.Contains(b));
            Assert.IsFalse(cache.Contains(TeacherScoreCache.Key("other teacher", new[] { 1, 2, 3 }, 2, 2)));
        }
        Assert.AreEqual(whole, new FileInfo(file).Length, "the partial record was cut off");
    }

    [TestMethod]
    public void ACacheFromEarlierVersionsIsReadAndExtendedInItsOwnLayout()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, TeacherScoreCache.FileName);
        string a = TeacherScoreCache.Key("t", new[] { 1, 2, 3 }, 2, 2), b = TeacherScoreCache.Key("t", new[] { 5 }, 0, 2);
        // Format 1, written byte by byte: key, positions, K, the ids, the logits.
        using (var writer = new BinaryWriter(File.Create(file)))
        {
            writer.Write(Convert.FromHexString(a));
            writer.Write(1);
            writer.Write(2);
            writer.Write(5); writer.Write(6);
            writer.Write(0.5f); writer.Write(-2f);
        }
        using (var cache = new TeacherScoreCache(dir.Path))
        {
            Assert.AreEqual(1, cache.Version);
            var record = cache.Read(a);
            CollectionAssert.AreEqual(new[] { 5, 6 }, record.Ids);
            CollectionAssert.AreEqual(new[] { 0.5f, -2f }, record.Logits);
            cache.Add(b, 1, 2, new[] { 7, 8 }, new[] { 3f, 1f });
        }
        Assert.AreEqual(2 * (32 + 8 + 2 * 8), new FileInfo(file).Length, "the new record in format 1 too");
        using (var cache = new TeacherScoreCache(dir.Path))
            CollectionAssert.AreEqual(new[] { 3f, 1f }, cache.Read(b).Logits);
    }

    [TestMethod]
    public void CompactRecordsKeepTheIdsAndTheDistributionAndAreAQuarterOfTheOldSize()
    {
        using var dir = new TempDirectory();
        var random = new Random(5);
        const int positions = 40, k = 64, vocabulary = 32_000;
        var ids = new int[positions * k];
        var logits = new float[positions * k];
        for (int p = 0; p < positions; p++)
        {
            var row = Enumerable.Range(0, vocabulary).OrderBy(_ => random.Next()).Take(k).ToArray();
            var values = Enumerable.Range(0, k).Select(_ => (float)(random.NextDouble() * 12 - 3)).OrderDescending().ToArray();
            row.CopyTo(ids, p * k);
            values.CopyTo(logits, p * k);
        }
        string key = TeacherScoreCache.Key("t", new[] { 1 }, 0, k);
        using (var cache = new TeacherScoreCache(dir.Path)) cache.Add(key, positions, k, ids, logits);
        long size = new FileInfo(Path.Combine(dir.Path, TeacherScoreCache.FileName)).Length;
        Assert.IsTrue(size < 0.35 * positions * k * 8, $"{size} bytes for {positions * k} entries");

        using var again = new TeacherScoreCache(dir.Path);
        Assert.AreEqual((2, TopKCodec.CompactBits), (again.Version, again.ValueBits));
        var record = again.Read(key);
        for (int p = 0; p < positions; p++)
        {
            var expected = ids.Skip(p * k).Take(k).ToHashSet();
            Assert.IsTrue(expected.SetEquals(record.Ids.Skip(p * k).Take(k)), $"position {p}: the same ids");
            Assert.AreEqual(0f, record.Logits[p * k], "the best logit is 0 after decoding");
            Assert.IsTrue(record.Logits.Skip(p * k).Take(k).Zip(record.Logits.Skip(p * k + 1).Take(k - 1)).All(pair => pair.First >= pair.Second), "best first");
        }
        // Each decoded distribution is the original one, shifted, to within the code's resolution.
        using var scope = NewDisposeScope();
        var original = nn.functional.log_softmax(tensor(logits, new long[] { positions, k }).gather(1, ArgsortById(ids, positions, k)), -1); // [P, K]
        var decoded = nn.functional.log_softmax(tensor(record.Logits, new long[] { positions, k }).gather(1, ArgsortById(record.Ids, positions, k)), -1);
        var probabilityError = (original.exp() - decoded.exp()).abs().max().item<float>();
        Assert.IsTrue(probabilityError < 2e-3, $"largest probability error {probabilityError}");
    }

    // [P, K] the column order that sorts each position's ids, so two encodings of one distribution line up.
    private static Tensor ArgsortById(int[] ids, int positions, int k) =>
        tensor(ids.Select(i => (long)i).ToArray(), new long[] { positions, k }).argsort(dim: 1);

    [TestMethod]
    public void ADamagedCompactRecordIsReportedAsADamagedCache()
    {
        using var dir = new TempDirectory();
        string key = TeacherScoreCache.Key("t", new[] { 1 }, 0, 4);
        using (var cache = new TeacherScoreCache(dir.Path)) cache.Add(key, 3, 4, Enumerable.Range(0, 12).ToArray(), Enumerable.Range(0, 12).Select(i => -i * 0.5f).ToArray());
        string file = Path.Combine(dir.Path, TeacherScoreCache.FileName);
        var bytes = File.ReadAllBytes(file);
        // The payload length says less than was written: the record's bits end early.
        BitConverter.GetBytes(2).CopyTo(bytes, 16 + 40);
        File.WriteAllBytes(file, bytes[..(16 + 44 + 2)]);
        using var damaged = new TeacherScoreCache(dir.Path);
        var e = Assert.ThrowsExactly<UnreadableFileException>(() => damaged.Read(key));
        StringAssert.Contains(e.Message, TeacherScoreCache.FileName);
        StringAssert.Contains(e.Message, "Delete the cache folder");
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
