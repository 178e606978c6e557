using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Modeling;

/// <summary>The model's two steps (hidden states, then the head on chosen rows) and its dtype.</summary>
[TestClass]
public sealed class HiddenStatesAndDtypeTests
{
    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void HeadOnChosenRowsEqualsTheFullForwardAtThoseRows(bool tied)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = new DecoderForCausalLM(TinyCheckpoints.Config(tied: tied));
        var inputs = randint(3, 200, new long[] { 2, 7 });                            // [B, T]
        var rows = tensor(new long[] { 13, 0, 6, 9 });                                // into [B·T]
        var full = model.Forward(inputs);                                            // [B, T, V]
        var hidden = model.Hidden(inputs);                                           // [B, T, C]
        var picked = model.Head(hidden.reshape(-1, hidden.shape[^1]).index_select(0, rows)); // [M, V]
        Assert.AreEqual(4L, picked.shape[0]);
        var expected = full.reshape(-1, full.shape[^1]).index_select(0, rows);
        Assert.IsTrue(picked.allclose(expected, rtol: 1e-5, atol: 1e-6), "the head on chosen rows gives the same logits");
        Assert.AreEqual(model.Config.HiddenSize, (int)model.Hidden(inputs).shape[^1], "hidden states come before the head");
    }

    [TestMethod]
    public void Bfloat16CheckpointLoadsInBfloat16WithoutAFloat32Copy()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 9, dtype: SafeTensorsDtype.BFloat16);
        using var asFloat32 = PretrainedFolder.Open(folder.Path, "test").LoadModel();
        using var asBfloat16 = PretrainedFolder.Open(folder.Path, "test").LoadModel(ScalarType.BFloat16);
        Assert.IsTrue(asFloat32.parameters().All(p => p.dtype == ScalarType.Float32), "float32 stays the default");
        Assert.IsTrue(asBfloat16.parameters().All(p => p.dtype == ScalarType.BFloat16), "every weight is held in bfloat16");
        Assert.AreEqual(ScalarType.BFloat16, asBfloat16.WeightDtype);
        // The stored values are bfloat16, so both loads hold exactly the same numbers.
        foreach (var ((name, a), (_, b)) in asFloat32.named_parameters().Zip(asBfloat16.named_parameters()))
            Assert.IsTrue(TensorAssert.Identical(a, b.to(ScalarType.Float32)), name);
    }
}
