using System.Text.Json;
using Microsoft.ML.Neo.Distillation.Teachers.LogitDatasets;
using Microsoft.ML.Neo.Tests.MLNet;

namespace Microsoft.ML.Neo.Tests.Distillation.Teachers.LogitDatasets;

/// <summary>
/// A dataset of teacher logits as the teacher: captured from a real teacher, written in axolotl's and DistillKit's
/// layouts, read back, and trained on, against the same teacher run in process with a cache.
/// </summary>
[TestClass]
public sealed class TeacherLogitDatasetTests
{
    private const int TopK = 8, Rows = 8;

    private static List<TrainingProgress> Fit(NeoDistillOptions options) => TrainingRows.FitSteps(options, Rows);

    private static TeacherLogitCaptureResult Capture(DistillFixture fixture, string output, TeacherLogitLayout layout)
    {
        var ml = new MLContext(seed: 1);
        return TeacherLogitCapture.Capture(ml.Data.LoadFromEnumerable(TrainingRows.Make(Rows)), new TeacherLogitCaptureOptions
        {
            Teacher = new TeacherModel(fixture.TeacherPath), OutputPath = output, TopK = TopK, Layout = layout, Precision = ComputePrecision.Float32,
        });
    }

    private static NeoDistillOptions FromLogits(DistillFixture fixture, string dataset, string cache, string? distillKitConfig = null)
    {
        var options = fixture.Options();
        options.Teacher = new TeacherLogits { Path = dataset, DistillKitConfigPath = distillKitConfig };
        options.TeacherCacheDirectory = cache;
        options.TeacherCacheEncoding = TeacherCacheEncoding.Exact;
        return options;
    }

    [TestMethod]
    [Timeout(600_000)]
    public void ALogitDatasetTrainsAsTheLocalTeachersCacheInBothLayouts()
    {
        using var fixture = new DistillFixture();
        var local = fixture.Options();
        local.TeacherCacheDirectory = fixture.Sub("local-cache");
        local.TeacherScoreTopK = TopK;
        local.TeacherCacheEncoding = TeacherCacheEncoding.Exact;
        var expected = Fit(local);

        string axolotl = fixture.Sub("axolotl.parquet"), distillKit = fixture.Sub("distillkit.parquet");
        var captured = Capture(fixture, axolotl, TeacherLogitLayout.Axolotl);
        Assert.AreEqual(Rows, captured.Rows);
        Capture(fixture, distillKit, TeacherLogitLayout.DistillKit);
        Assert.IsTrue(File.Exists(LogitDatasetWriter.CompressionPath(distillKit)), "DistillKit's configuration is written beside the data");

        foreach (var (name, options) in new[]
        {
            ("axolotl", FromLogits(fixture, axolotl, fixture.Sub("cache-axolotl"))),
            ("DistillKit", FromLogits(fixture, distillKit, fixture.Sub("cache-distillkit"), LogitDatasetWriter.CompressionPath(distillKit))),
        })
        {
            var actual = Fit(options);
            Assert.AreEqual(expected.Count, actual.Count);
            Assert.IsTrue(expected.Count > 0 && expected.All(p => p.Divergence > 0), "a KD run");
            Assert.IsTrue(File.Exists(Path.Combine(options.TeacherCacheDirectory!, "teacher-scores.bin")), "the dataset's scores went through the cache");
            Console.WriteLine($"{name}: KD terms {string.Join(", ", actual.Select(p => p.Divergence.ToString("F6")))} (local: {string.Join(", ", expected.Select(p => p.Divergence.ToString("F6")))})");
            for (int step = 0; step < expected.Count; step++)
            {
                // The dataset holds log-probabilities, the local cache raw logits: one distribution once renormalised over the K ids.
                Assert.AreEqual(expected[step].Divergence, actual[step].Divergence, 1e-5 * Math.Max(1, expected[step].Divergence), $"{name}: KD term of step {step + 1}");
                Assert.AreEqual(expected[step].CrossEntropy, actual[step].CrossEntropy, 1e-5, $"{name}: CE term of step {step + 1}");
            }
        }
    }

    [TestMethod]
    public void DistillKitsCompressedRowsDecodeExactValuesPolynomialAndResidualBins()
    {
        using var folder = new TempDirectory();
        // k = 5: one exact float32, then four values fit by c0 + c1·t with 4-bit residual codes; deltas from the previous value.
        string configPath = folder.Sub("compression.json");
        File.WriteAllText(configPath, """
            { "d": 1000, "k": 5, "exact_k": 1, "exact_dtype": "float32", "polynomial_terms": [0, 1], "term_dtype": "float32",
              "residual_bins": [ { "scale_dtype": "float32", "element_bits": 4, "num_elements": 4 } ], "delta_encoding": true }
            """);
        var config = DistillKitCompression.Load(configPath);
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes(-0.5f));           // exact: the best log-probability
        bytes.AddRange(BitConverter.GetBytes(-1f));             // c0
        bytes.AddRange(BitConverter.GetBytes(-0.25f));          // c1
        bytes.AddRange(BitConverter.GetBytes(0.125f));          // the residual bin's scale
        // Codes 8, 9, 7, 10 with a zero point of -8: residuals 0, 1, -1, 2 (× 0.125), packed most significant bit first.
        bytes.AddRange(new byte[] { 0x89, 0x7A });
        Assert.AreEqual(config.LogprobBytes, bytes.Count);
        // Ids 3, 999, 0, 512, 7 in 10 bits each.
        var idBits = string.Concat(new[] { 3, 999, 0, 512, 7 }.Select(i => Convert.ToString(i, 2).PadLeft(10, '0'))).PadRight(56, '0');
        var ids = Enumerable.Range(0, 7).Select(i => Convert.ToByte(idBits.Substring(i * 8, 8), 2)).ToArray();

        var (decodedIds, logprobs) = config.Decode(bytes, ids);
        CollectionAssert.AreEqual(new[] { 3, 999, 0, 512, 7 }, decodedIds);
        // Deltas: -0.5, then c0 + c1·t + residual for t = 0..3: -1, -1.125, -1.625, -1.5; summed in order.
        var deltas = new[] { -0.5, -1 + 0, -1.25 + 0.125, -1.5 - 0.125, -1.75 + 0.25 };
        var expected = deltas.Select((_, i) => (float)deltas.Take(i + 1).Sum()).ToArray();
        for (int i = 0; i < 5; i++) Assert.AreEqual(expected[i], logprobs[i], 1e-6f, $"value {i}");
    }

    [TestMethod]
    public void JsonLinesInAxolotlsLayoutSkipMaskedPositionsAndBadRowsAreNamed()
    {
        using var folder = new TempDirectory();
        string file = folder.Sub("logits.jsonl");
        // Position 0 is padding (masked, -inf); positions 1 and 2 predict tokens 2 and 3.
        File.WriteAllLines(file, new[]
        {
            JsonSerializer.Serialize(new
            {
                input_ids = new[] { 1, 5, 6, 7 },
                target_token_ids = new[] { new[] { 0, 1 }, new[] { 6, 9 }, new[] { 7, 4 } },
                target_logprobs = new[] { new double?[] { null, null }, new double?[] { -0.1, -2.4 }, new double?[] { -0.3, -1.5 } },
                target_mask = new[] { new[] { 0, 0 }, new[] { 1, 1 }, new[] { 1, 1 } },
            }),
        });
        var rows = LogitDatasetReader.Read(file, null).ToList();
        Assert.AreEqual(1, rows.Count);
        Assert.AreEqual(0, rows[0].Position(0).Ids.Length, "masked");
        CollectionAssert.AreEqual(new[] { 6, 9 }, rows[0].Position(1).Ids);

        using var teacher = new LogitDatasetTeacher(new TeacherLogits { Path = file });
        var example = new Microsoft.ML.Neo.Data.EncodedExample(new[] { 1, 5, 6, 7 }, responseStart: 2);
        int[]? keptIds = null;
        teacher.ScoreTopK(new[] { example }, vocabulary: 16, topK: 2, padId: 0, (_, ids, _) => keptIds = ids);
        CollectionAssert.AreEqual(new[] { 6, 9, 7, 4 }, keptIds, "positions 1 and 2, best first");

        // The student's vocabulary is smaller than an id in the row.
        var e = Assert.ThrowsExactly<UnreadableFileException>(() => teacher.ScoreTopK(new[] { example }, vocabulary: 8, topK: 2, padId: 0, (_, _, _) => { }));
        StringAssert.Contains(e.Message, "id 9 is outside the student's vocabulary of 8");
        StringAssert.Contains(e.Message, "logits.jsonl, line 1");
        // More ids than the row keeps.
        e = Assert.ThrowsExactly<UnreadableFileException>(() => teacher.ScoreTopK(new[] { example }, vocabulary: 16, topK: 3, padId: 0, (_, _, _) => { }));
        StringAssert.Contains(e.Message, "set TeacherScoreTopK to at most");
        // An example no row holds.
        var missing = Assert.ThrowsExactly<InvalidDataException>(() => teacher.ScoreTopK(
            new[] { new Microsoft.ML.Neo.Data.EncodedExample(new[] { 1, 5, 6, 8 }, 2) }, 16, 2, 0, (_, _, _) => { }));
        StringAssert.Contains(missing.Message, "has no row for 1 of the 1 examples");
        StringAssert.Contains(missing.Message, "neo capture-logits");
    }

    [TestMethod]
    public void UnknownColumnsAndCompressedRowsWithoutTheirConfigurationAreRefusedClearly()
    {
        using var folder = new TempDirectory();
        string unknown = folder.Sub("unknown.jsonl"), compressed = folder.Sub("compressed.jsonl");
        File.WriteAllText(unknown, """{"input_ids": [1, 2], "scores": [[0.5]]}""" + "\n");
        File.WriteAllText(compressed, """{"input_ids": [1, 2], "compressed_logprobs": [[0, 0, 0, 0]], "bytepacked_indices": [[0]]}""" + "\n");
        var e = Assert.ThrowsExactly<UnreadableFileException>(() => LogitDatasetReader.Read(unknown, null).ToList());
        StringAssert.Contains(e.Message, "input_ids, scores");
        StringAssert.Contains(e.Message, "target_token_ids + target_logprobs");
        e = Assert.ThrowsExactly<UnreadableFileException>(() => LogitDatasetReader.Read(compressed, null).ToList());
        StringAssert.Contains(e.Message, "DistillKitConfigPath");

        var options = new NeoDistillOptions { StudentModelPath = "student", Teacher = new TeacherLogits { Path = unknown } };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "TeacherCacheDirectory");
        options.TeacherCacheDirectory = "cache";
        options.OnPolicyFraction = 0.5f;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "OnPolicyFraction = 0");
        options.OnPolicyFraction = 0;
        options.CrossTokenizer = CrossTokenizerLoss.Hybrid;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "rows are in the student's tokens");
        options.CrossTokenizer = CrossTokenizerLoss.None;
        options.Validate();
    }
}
