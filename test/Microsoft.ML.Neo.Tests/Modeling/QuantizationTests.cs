using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Modeling.Quantization;
using Microsoft.ML.Neo.Tests.MLNet;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Modeling;

[TestClass]
public sealed class QuantizationTests
{
    [TestMethod]
    public void Int8AndNf4CodesRoundEachWeightToTheNearestLevelOfItsScale()
    {
        manual_seed(4);
        using var weight = randn(6, 64) * 0.1; // [out, in]
        var w = To2D(weight);
        using (var int8 = QuantizedWeight.Quantize(weight, WeightQuantization.Int8))
        using (var back = int8.Dequantize(ScalarType.Float32))
        {
            var d = To2D(back);
            for (int r = 0; r < 6; r++)
            {
                double scale = Enumerable.Range(0, 64).Max(c => Math.Abs(w[r, c])) / 127;
                for (int c = 0; c < 64; c++) Assert.AreEqual(w[r, c], d[r, c], scale / 2 + 1e-7, $"Int8 row {r} column {c}");
                Assert.AreEqual(127 * scale, Enumerable.Range(0, 64).Max(c => Math.Abs(d[r, c])), 1e-6, "the row's largest weight is exact");
            }
            Assert.AreEqual(6 * 64 + 6 * 4, int8.Bytes, "a byte per weight and a float32 scale per row");
        }
        using (var nf4 = QuantizedWeight.Quantize(weight, WeightQuantization.NF4))
        using (var back = nf4.Dequantize(ScalarType.Float32))
        {
            var d = To2D(back);
            // QLoRA's NF4 levels as bitsandbytes ships them (its create_normal_map), written out here rather than
            // read from the implementation, so a changed table fails this test.
            double[] levels =
            [
                -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
                -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
                0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
            ];
            for (int r = 0; r < 6; r++)
            {
                for (int g = 0; g < 2; g++)
                {
                    var columns = Enumerable.Range(g * 32, 32).ToList();
                    double absmax = columns.Max(c => Math.Abs(w[r, c]));
                    foreach (int c in columns)
                    {
                        // The nearest of the 16 levels, times the group's absolute maximum.
                        double nearest = levels.MinBy(l => Math.Abs(w[r, c] / absmax - l)) * absmax;
                        Assert.AreEqual(nearest, d[r, c], 1e-6, $"NF4 row {r} column {c}");
                    }
                }
            }
            Assert.AreEqual(6 * 32 + 6 * 2 * 4, nf4.Bytes, "half a byte per weight and a float32 scale per 32 inputs");
        }
        Assert.IsFalse(QuantizedWeight.Fits(WeightQuantization.NF4, 48));
    }

    private static double[,] To2D(Tensor t)
    {
        using var f = t.to(ScalarType.Float64).contiguous();
        var flat = f.data<double>().ToArray();
        var result = new double[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
        return result;
    }

    // The embedded student (trained, 3 layers of hidden 96): a random model's weights amplify rounding far more.
    private static string Student => Path.Combine(RepositoryPaths.Root(), "src", "Neo.Cli", "EmbeddedModels", "styled-student");

    [TestMethod]
    [DataRow(WeightQuantization.Int8, 0.03, 0.95)]
    [DataRow(WeightQuantization.NF4, 0.25, 0.80)]
    public void AQuantizedBaseGivesLogitsWithinItsToleranceOfFloat32AndExactlyThoseOfItsDequantizedWeights(WeightQuantization kind, double tolerance, double agreement)
    {
        string path = Student;
        using var dense = CausalLM.FromPretrained(path);
        int[] ids = dense.TokenizerFiles!.Encode("Question: Tom has 11 stamps. Tom buys 2 packs with 5 stamps in each. How many stamps does Tom have now?\nAnswer: Tom has 11+2*5=21 stamps.");
        var reference = dense.Logits(ids);
        using var quantized = CausalLM.FromPretrained(path);
        long before = quantized.Model.Projections().Sum(p => p.Linear.WeightBytes);
        string log = WeightQuantizer.Apply(quantized.Model, kind);
        long after = quantized.Model.Projections().Sum(p => p.Linear.WeightBytes);
        StringAssert.Contains(log, $"Quantized base ({kind}): 21 projections quantized");
        Assert.IsTrue(after < before / (kind == WeightQuantization.Int8 ? 3.5 : 6), $"{before} bytes → {after}");
        Assert.IsTrue(quantized.Model.Projections().All(p => p.Linear.Quantization == kind));
        var logits = quantized.Logits(ids);

        // Within the stated tolerance of float32, relative to the largest logit.
        double largest = 0, worst = 0;
        for (int i = 0; i < ids.Length; i++)
            for (int v = 0; v < logits.GetLength(1); v++)
            {
                largest = Math.Max(largest, Math.Abs(reference[i, v]));
                worst = Math.Max(worst, Math.Abs(reference[i, v] - logits[i, v]));
            }
        // And the greedy next token mostly the same.
        static int ArgMax(float[,] l, int i) => Enumerable.Range(0, l.GetLength(1)).MaxBy(v => l[i, v]);
        double same = Enumerable.Range(0, ids.Length).Count(i => ArgMax(reference, i) == ArgMax(logits, i)) / (double)ids.Length;
        Console.WriteLine($"{kind}: largest logit error {worst:F4} against largest logit {largest:F3} ({worst / largest:P2}); same greedy token at {same:P0} of {ids.Length} positions");
        Assert.IsTrue(same >= agreement, $"{kind}: the same greedy token at {same:P0} of the positions");
        Assert.IsTrue(worst / largest < tolerance, $"{kind}: {worst / largest:P2} of the largest logit");
        Assert.IsTrue(worst > 0, "the codes are not the weights");

        // Restored, the weights are the dequantized values every pass used: the same logits, bit for bit.
        WeightQuantizer.Restore(quantized.Model);
        Assert.IsTrue(quantized.Model.Projections().All(p => p.Linear.Quantization == WeightQuantization.None));
        CollectionAssert.AreEqual(logits, quantized.Logits(ids));
    }

    [TestMethod]
    public void DistillingWithAnInt8BaseTrainsSavesAndReloadsTheModelItTrained()
    {
        using var fixture = new DistillFixture();
        var ml = new MLContext(seed: 1);
        var logged = new List<string>();
        ml.Log += (_, e) => { if (e.Message.Contains("Quantized base", StringComparison.Ordinal)) lock (logged) logged.Add(e.Message); };
        var options = fixture.Options();
        options.BaseQuantization = WeightQuantization.Int8;
        options.MaxSteps = 4;
        var data = ml.Data.LoadFromEnumerable(TrainingRows.Make(16, seed: 5));
        using var model = ml.Transforms.NeoDistill(options).Fit(data);
        Assert.IsTrue(logged.Any(m => m.Contains("Quantized base (Int8): 14 projections quantized", StringComparison.Ordinal)), string.Join("\n", logged));
        Assert.IsTrue(double.IsFinite(model.TrainingSummary!.Loss));
        Assert.IsTrue(model.Student.Model.Projections().All(p => p.Linear.Quantization == WeightQuantization.None), "the trained model is dense");

        // A run without quantization trains another model: the base it learned on differs.
        var plain = options.Clone();
        plain.BaseQuantization = WeightQuantization.None;
        using var dense = ml.Transforms.NeoDistill(plain).Fit(data);
        int[] ids = Enumerable.Range(3, 20).ToArray();
        CollectionAssert.AreNotEqual(dense.Student.Logits(ids), model.Student.Logits(ids));

        string zip = fixture.Sub("int8.zip");
        ml.Model.Save(model, data.Schema, zip);
        using var loaded = ml.Model.LoadNeoDistill(zip);
        CollectionAssert.AreEqual(model.Student.Logits(ids), loaded.Student.Logits(ids), "the zip holds the model that was trained");

        var full = options.Clone();
        full.Finetuning = Finetuning.Full;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => full.Validate()).Message, "BaseQuantization");
    }
}
