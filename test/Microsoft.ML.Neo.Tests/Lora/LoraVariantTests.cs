using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Lora;

/// <summary>DoRA, rsLoRA and PiSSA against forward passes and merges written out by hand, and through PEFT and the zip.</summary>
[TestClass]
public sealed class LoraVariantTests
{
    private static readonly int[] Tokens = { 1, 30, 31, 32, 33 };

    // One 6 → 5 layer with a bias and random weights, carrying the given adapter with random factors.
    private static AdaptableLinear Layer(LoraSettings settings, int seed)
    {
        manual_seed(seed);
        var layer = new AdaptableLinear("proj", 6, 5, hasBias: true);
        var adapter = LoraAdapter.Create(6, 5, settings);
        adapter.Initialize(layer.Weight);
        layer.Attach(adapter);
        using (no_grad())
        {
            adapter.A.normal_(0, 0.5);
            adapter.B.normal_(0, 0.5);
            if (adapter is DoraAdapter dora) dora.Magnitude.uniform_(0.5, 2.0);
        }
        layer.eval();
        return layer;
    }

    private static double MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [TestMethod]
    public void DoraRescalesEachRowOfTheAdaptedWeightToItsMagnitude()
    {
        var settings = new LoraSettings { Rank = 2, Alpha = 3, UseDora = true };
        using var layer = Layer(settings, seed: 70);
        var dora = (DoraAdapter)layer.Adapter!;
        using var x = randn(3, 6);
        using var _ = no_grad();

        // By hand: W' = diag(m / ‖row of W + (α/r)·B·A‖) · (W + (α/r)·B·A); y = x·W'ᵀ + b.
        var adapted = layer.Weight + matmul(dora.B, dora.A) * (3.0 / 2);
        var norms = adapted.pow(2).sum(1).sqrt();
        var expectedWeight = adapted * (dora.Magnitude / norms).unsqueeze(1);
        var bias = layer.named_parameters().Single(p => p.name == "bias").parameter;
        var expected = matmul(x, expectedWeight.t()) + bias;

        Assert.IsTrue(MaxDifference(layer.forward(x), expected) < 1e-5, "forward");
        Assert.IsTrue(MaxDifference(dora.MergedWeight(layer.Weight), expectedWeight) < 1e-6, "merged weight");
    }

    [TestMethod]
    public void DorasGradientTreatsTheNormAsAConstant()
    {
        // With the norm detached, ∂y/∂m_i = (x·W'ᵢ)/m_i: the magnitude's gradient of Σy is Σ_batch (x·W'ᵀ)_i / m_i.
        using var layer = Layer(new LoraSettings { Rank = 2, Alpha = 2, UseDora = true }, seed: 71);
        layer.train();
        var dora = (DoraAdapter)layer.Adapter!;
        using var x = randn(4, 6);
        layer.forward(x).sum().backward();
        using var _ = no_grad();
        var withoutBias = matmul(x, dora.MergedWeight(layer.Weight).t()); // [4, 5]
        var expected = withoutBias.sum(0L) / dora.Magnitude; // 0L: a plain 0 would pick sum's dtype overload
        Assert.IsTrue(MaxDifference(dora.Magnitude.grad!, expected) < 1e-5);
        Assert.IsNotNull(dora.A.grad, "the direction still learns through A and B");
    }

    [TestMethod]
    public void RsLoraScalesByAlphaOverTheRootOfTheRank()
    {
        using var plain = Layer(new LoraSettings { Rank = 4, Alpha = 8 }, seed: 72);
        using var stable = Layer(new LoraSettings { Rank = 4, Alpha = 8, UseRsLora = true }, seed: 72);
        Assert.AreEqual(2.0, plain.Adapter!.Scale, 1e-12);
        Assert.AreEqual(4.0, stable.Adapter!.Scale, 1e-12, "8 / √4");
        using var x = randn(2, 6);
        using var _ = no_grad();
        var expected = matmul(matmul(x, stable.Adapter.A.t()), stable.Adapter.B.t()) * 4.0;
        Assert.IsTrue(MaxDifference(stable.Adapter.forward(x), expected) < 1e-5);
    }

    [TestMethod]
    public void PissaStartsAtTheBaseWithThePrincipalComponentsInTheAdapter()
    {
        manual_seed(73);
        var settings = new LoraSettings { Rank = 2, Alpha = 4, Initialization = LoraInitialization.Pissa };
        using var layer = new AdaptableLinear("proj", 6, 5, hasBias: false);
        var adapter = LoraAdapter.Create(6, 5, settings);
        adapter.Initialize(layer.Weight);
        layer.Attach(adapter);
        using var x = randn(3, 6);
        using var _ = no_grad();

        Assert.IsTrue(MaxDifference(layer.forward(x), matmul(x, layer.Weight.t())) == 0, "the update starts at exactly zero");
        // s·B·A is the best rank-2 approximation of W: what is left has the energy of the other singular values.
        var principal = matmul(adapter.B, adapter.A) * 2.0;
        var singular = linalg.svdvals(layer.Weight);
        double leftOver = (layer.Weight - principal).pow(2).sum().item<float>();
        double expected = singular.narrow(0, 2, singular.shape[0] - 2).pow(2).sum().item<float>();
        Assert.AreEqual(expected, leftOver, 1e-5 * Math.Max(1, expected));
        // A's rows are orthogonal (scaled right singular vectors).
        var gram = matmul(adapter.A, adapter.A.t());
        Assert.IsTrue(Math.Abs(gram[0, 1].item<float>()) < 1e-5);

        // Trained away from the start, forward and merge still agree.
        adapter.A.add_(randn_like(adapter.A) * 0.1);
        var merged = adapter.MergedWeight(layer.Weight);
        Assert.IsTrue(MaxDifference(layer.forward(x), matmul(x, merged.t())) < 1e-5);
        Assert.IsFalse(adapter.Start!.Value.A0.requires_grad, "the starting factors are frozen");
    }

    [TestMethod]
    public void PissaNeedsARankTheLayerHas()
    {
        using var layer = new AdaptableLinear("proj", 6, 5, hasBias: false);
        var adapter = LoraAdapter.Create(6, 5, new LoraSettings { Rank = 6, Initialization = LoraInitialization.Pissa });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => adapter.Initialize(layer.Weight)).Message, "LoraRank to 5 or less");
        adapter.Dispose();
    }

    [TestMethod]
    public void EveryVariantStartsAtItsBaseAndMergesToTheSameLogits()
    {
        foreach (var settings in new[]
        {
            new LoraSettings { Rank = 4, Alpha = 8, UseDora = true },
            new LoraSettings { Rank = 4, Alpha = 8, UseRsLora = true },
            new LoraSettings { Rank = 4, Alpha = 8, Initialization = LoraInitialization.Pissa },
            new LoraSettings { Rank = 4, Alpha = 8, UseDora = true, UseRsLora = true },
        })
        {
            manual_seed(74);
            using var model = new DecoderForCausalLM(TinyCheckpoints.Config());
            model.eval();
            using var before = Logits(model);
            LoraInjector.Apply(model, settings);
            using var fresh = Logits(model);
            Assert.IsTrue(MaxDifference(before, fresh) <= 1e-5 * before.abs().max().item<float>(), $"{settings}: a fresh adapter changes nothing");

            using (no_grad())
            {
                foreach (var (name, p) in LoraInjector.AdapterParameters(model))
                    if (p.requires_grad) p.add_(randn_like(p) * 0.2);
            }
            using var unmerged = Logits(model);
            Assert.IsTrue(MaxDifference(unmerged, fresh) > 1e-3, "the trained adapters change the logits");
            LoraInjector.Merge(model);
            using var merged = Logits(model);
            Assert.IsTrue(MaxDifference(unmerged, merged) <= 1e-5 * unmerged.abs().max().item<float>(), $"{settings}: merged");
        }
    }

    private static Tensor Logits(DecoderForCausalLM model)
    {
        using var _ = no_grad();
        return model.Forward(tensor(Tokens.Select(t => (long)t).ToArray(), new long[] { 1, Tokens.Length }));
    }

    [TestMethod]
    public void PeftExportsWriteTheVariantsInPeftsOwnFieldsAndImportBack()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Sub("base"), TinyCheckpoints.Config(), seed: 75);
        foreach (var (name, settings) in new[]
        {
            ("dora", new LoraSettings { Rank = 4, Alpha = 8, UseDora = true, TargetModules = new[] { "q_proj", "down_proj" } }),
            ("rslora", new LoraSettings { Rank = 4, Alpha = 8, UseRsLora = true, TargetModules = new[] { "q_proj", "down_proj" } }),
            ("pissa", new LoraSettings { Rank = 4, Alpha = 8, Initialization = LoraInitialization.Pissa, TargetModules = new[] { "q_proj", "down_proj" } }),
        })
        {
            using var adapted = CausalLM.FromPretrained(folder.Sub("base"));
            LoraInjector.Apply(adapted.Model, settings);
            using (no_grad())
            {
                foreach (var (_, p) in LoraInjector.AdapterParameters(adapted.Model))
                    if (p.requires_grad) p.add_(randn_like(p) * 0.2);
            }
            adapted.SavePeftAdapters(folder.Sub(name));
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.Sub(name), "adapter_config.json")))!;
            Assert.AreEqual(settings.UseDora, config["use_dora"]!.GetValue<bool>(), name);
            Assert.AreEqual(settings.UseRsLora, config["use_rslora"]!.GetValue<bool>(), name);
            using (var reader = new SafeTensorsReader(Path.Combine(folder.Sub(name), "adapter_model.safetensors")))
            {
                const string q = "base_model.model.model.layers.0.self_attn.q_proj.";
                if (settings.UseDora)
                    CollectionAssert.AreEqual(new long[] { 32 }, reader.Tensors[q + "lora_magnitude_vector"].Shape, "one magnitude per output row");
                if (settings.Initialization == LoraInitialization.Pissa)
                {
                    // PEFT's conversion for sharing: twice the rank, twice alpha, on the untouched base.
                    Assert.AreEqual(8, config["r"]!.GetValue<int>());
                    Assert.AreEqual(16.0, config["lora_alpha"]!.GetValue<double>());
                    CollectionAssert.AreEqual(new long[] { 8, 32 }, reader.Tensors[q + "lora_A.weight"].Shape);
                }
                Assert.IsFalse(reader.Tensors.Keys.Any(k => k.Contains("A0") || k.Contains("B0")), "PiSSA's start is folded into A and B");
            }

            using var reimported = CausalLM.FromPretrained(folder.Sub("base"));
            reimported.LoadPeftAdapters(folder.Sub(name));
            var expected = adapted.Logits(Tokens).Cast<float>().ToArray();
            var actual = reimported.Logits(Tokens).Cast<float>().ToArray();
            double largest = expected.Max(Math.Abs);
            Assert.IsTrue(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() <= 1e-5 * largest, $"{name}: the imported adapters give the same logits");
        }
    }

    [TestMethod]
    public void APeftDoraFolderWithoutMagnitudesIsRefusedSayingWhatIsMissing()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Sub("base"), TinyCheckpoints.Config(), seed: 76);
        using (var plain = CausalLM.FromPretrained(folder.Sub("base")))
        {
            LoraInjector.Apply(plain.Model, new LoraSettings { Rank = 2, TargetModules = new[] { "q_proj" } });
            plain.SavePeftAdapters(folder.Sub("adapter"));
        }
        string configPath = Path.Combine(folder.Sub("adapter"), "adapter_config.json");
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"use_dora\": false", "\"use_dora\": true"));
        using var target = CausalLM.FromPretrained(folder.Sub("base"));
        var error = Assert.ThrowsExactly<InvalidDataException>(() => target.LoadPeftAdapters(folder.Sub("adapter")));
        StringAssert.Contains(error.Message, "lora_magnitude");
    }

    [TestMethod]
    public void TheOptionsAreValidated()
    {
        var options = new NeoDistillOptions { Teacher = new TeacherModel("t"), StudentModelPath = "s", UseDora = true, LoraInitialization = LoraInitialization.Pissa };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "Choose one of them");
        options.LoraInitialization = LoraInitialization.Default;
        options.Validate();
        options.Finetuning = Finetuning.Full;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "Set Finetuning = Lora");
        options.UseDora = false;
        options.LoraInitialization = (LoraInitialization)7;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate).Message, "Default or Pissa");
    }
}
