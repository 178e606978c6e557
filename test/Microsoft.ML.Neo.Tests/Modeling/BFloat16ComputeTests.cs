using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Modeling;

/// <summary>What runs in bf16 and what stays float32 inside a bf16 model.</summary>
[TestClass]
public sealed class BFloat16ComputeTests
{
    [TestMethod]
    public void RmsNormStatisticsAreFloat32ForBfloat16Inputs()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var norm = new RmsNorm("norm", 4096, 1e-5, ScalarType.BFloat16);
        var x = (randn(4, 4096) * 3 + 1).to(ScalarType.BFloat16);                            // [4, C]
        var wide = x.to(ScalarType.Float32);
        var expected = (wide * rsqrt(wide.pow(2).mean(new long[] { -1 }, keepdim: true) + 1e-5)).to(ScalarType.BFloat16); // weight is 1
        var actual = norm.forward(x);
        Assert.AreEqual(ScalarType.BFloat16, actual.dtype);
        Assert.IsTrue(TensorAssert.Identical(expected, actual), "normalised with float32 statistics, rounded once");
    }

    [TestMethod]
    [DataRow("llama")]
    [DataRow("qwen3")]
    [DataRow("gemma3_text")]
    [DataRow("phi3")]
    [DataRow("smollm3")]
    public void Bfloat16ModelFollowsTheFloat32ModelWithTheSameWeights(string family)
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var config = TinyCheckpoints.AsFamily(TinyCheckpoints.Config(hidden: 64, layers: 2), family);
        using var half = new DecoderForCausalLM(config, ScalarType.BFloat16);
        using var full = new DecoderForCausalLM(config);
        using (no_grad())
            foreach (var ((_, target), (_, source)) in full.named_parameters().Zip(half.named_parameters()))
                target.copy_(source); // the same (bf16-representable) numbers in both
        var inputs = randint(3, 200, new long[] { 2, 12 });
        var expected = full.Forward(inputs);                          // [B, T, V] float32
        var actual = half.Forward(inputs);                            // [B, T, V] bf16
        Assert.AreEqual(ScalarType.BFloat16, actual.dtype, "the matrix products ran in bf16");
        // bf16 keeps 8 mantissa bits: activations carry relative errors of a few 2^-8 after two layers.
        double error = (actual.to(ScalarType.Float32) - expected).abs().max().item<float>();
        double scale = expected.abs().max().item<float>();
        Assert.IsTrue(error <= 0.05 * scale, $"bf16 logits differ by {error} at a scale of {scale}");
        Assert.IsTrue(error > 0, "bf16 really ran");
    }

    [TestMethod]
    public void AdaptersOnABfloat16BaseAreFloat32AndOnlyTheyGetGradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 32), ScalarType.BFloat16);
        LoraInjector.Apply(model, new LoraSettings { Rank = 4 });
        var adapters = LoraInjector.AdapterParameters(model).ToList();
        Assert.IsTrue(adapters.All(p => p.Parameter.dtype == ScalarType.Float32), "adapters are created float32");
        foreach (var (_, b) in adapters.Where(p => p.Name.EndsWith("lora_B")))
            using (no_grad()) b.normal_(0, 0.1); // non-zero B, so A gets a gradient too

        var logits = model.Forward(randint(3, 200, new long[] { 2, 6 })); // [B, T, V]
        Assert.AreEqual(ScalarType.BFloat16, logits.dtype);
        logits.to(ScalarType.Float32).pow(2).mean().backward();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.Contains(".lora."))
            {
                Assert.IsNotNull(parameter.grad, name);
                Assert.AreEqual(ScalarType.Float32, parameter.grad!.dtype, $"{name}'s gradient is float32");
                Assert.IsTrue(parameter.grad.abs().sum().item<float>() > 0, name);
            }
            else
            {
                Assert.IsNull(parameter.grad, $"frozen {name} got a gradient");
            }
        }
    }

    [TestMethod]
    public void MergingAFloat32AdapterIntoABfloat16BaseKeepsTheBaseDtype()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var model = new DecoderForCausalLM(TinyCheckpoints.Config(hidden: 32), ScalarType.BFloat16);
        LoraInjector.Apply(model, new LoraSettings { Rank = 4 });
        foreach (var (_, b) in LoraInjector.AdapterParameters(model).Where(p => p.Name.EndsWith("lora_B")))
            using (no_grad()) b.normal_(0, 0.1);
        model.eval();
        var inputs = randint(3, 200, new long[] { 1, 6 });
        var adapted = model.Forward(inputs).to(ScalarType.Float32);
        LoraInjector.Merge(model);
        Assert.IsTrue(model.parameters().All(p => p.dtype == ScalarType.BFloat16));
        var merged = model.Forward(inputs).to(ScalarType.Float32);
        double error = (adapted - merged).abs().max().item<float>(), scale = adapted.abs().max().item<float>();
        Assert.IsTrue(error <= 0.05 * scale, $"merged differs by {error} at a scale of {scale}");
    }
}
