using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Lora;

[TestClass]
public sealed class LoraInjectorTests
{
    private static readonly long[] Tokens = { 1, 40, 41, 300, 7, 99, 12 };

    private static Tensor LogitsOf(DecoderForCausalLM model)
    {
        using var _ = no_grad();
        return model.Forward(tensor(Tokens, new long[] { 1, Tokens.Length }));
    }

    [TestMethod]
    public void FreshAdaptersLeaveTheModelUnchanged()
    {
        manual_seed(3);
        using var model = new DecoderForCausalLM(TinyCheckpoints.Config());
        model.eval();
        using var before = LogitsOf(model);
        int attached = LoraInjector.Apply(model, new LoraSettings { Rank = 4, Alpha = 8 });
        using var after = LogitsOf(model);

        Assert.AreEqual(2 * 7, attached, "every q/k/v/o/gate/up/down of both layers gets an adapter");
        Assert.IsTrue(TensorAssert.Identical(before, after), "B starts at zero, so logits must be bit-identical");
    }

    [TestMethod]
    public void OnlyAdaptersRequireGradients()
    {
        using var model = new DecoderForCausalLM(TinyCheckpoints.Config());
        LoraInjector.Apply(model, new LoraSettings { Rank = 2, TargetModules = new[] { "q_proj", "v_proj" } });
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.AreEqual(2 * 2 * 2, trainable.Count, "A and B of q and v in two layers");
        Assert.IsTrue(trainable.All(n => n.Contains(".lora.lora_")), string.Join(", ", trainable));
    }

    [TestMethod]
    public void MergedAdaptersGiveTheSameLogits()
    {
        manual_seed(4);
        using var model = new DecoderForCausalLM(TinyCheckpoints.Config());
        model.eval();
        LoraInjector.Apply(model, new LoraSettings { Rank = 4, Alpha = 16 });
        using (no_grad())
        {
            foreach (var (_, p) in LoraInjector.AdapterParameters(model)) p.normal_(0, 0.2);
        }
        using var unmerged = LogitsOf(model);
        LoraInjector.Merge(model);
        using var merged = LogitsOf(model);

        Assert.AreEqual(0, LoraInjector.AdapterParameters(model).Count(), "merging removes the adapters");
        double scale = unmerged.abs().max().item<float>();
        double difference = (unmerged - merged).abs().max().item<float>();
        Assert.IsTrue(difference <= 1e-5 * scale, $"max |difference| {difference} vs largest logit {scale}");
        using var baseOnly = new DecoderForCausalLM(TinyCheckpoints.Config());
        Assert.IsTrue(difference < (unmerged - LogitsOf(baseOnly)).abs().max().item<float>());
    }

    [TestMethod]
    public void UnknownTargetModulesAreRefused()
    {
        using var model = new DecoderForCausalLM(TinyCheckpoints.Config());
        var error = Assert.ThrowsExactly<ArgumentException>(() =>
            LoraInjector.Apply(model, new LoraSettings { TargetModules = new[] { "qkv" } }));
        StringAssert.Contains(error.Message, "q_proj");
    }
}
