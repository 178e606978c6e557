using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo.Tests.Modeling;

[TestClass]
public sealed class LayerSelectionTests
{
    [TestMethod]
    public void EvenlySpacedKeepsFirstAndLast()
    {
        CollectionAssert.AreEqual(new[] { 0, 7, 14, 21 }, LayerSelection.EvenlySpaced(22, 4));
        CollectionAssert.AreEqual(new[] { 0 }, LayerSelection.EvenlySpaced(22, 1));
        CollectionAssert.AreEqual(Enumerable.Range(0, 5).ToArray(), LayerSelection.EvenlySpaced(5, 5));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LayerSelection.EvenlySpaced(4, 5));
        StringAssert.Contains(e.Message, "the teacher has 4");
    }

    [TestMethod]
    [DataRow("gemma3")]
    [DataRow("smollm3")]
    public void PerLayerSettingsFollowTheKeptLayers(string name)
    {
        // gemma3: sliding, sliding, full, sliding; smollm3: rope, NoPE, rope, NoPE. Layers 0 and 3 are kept.
        string folder = FamilyReferenceTests.Folder(name);
        using var teacher = CausalLM.FromPretrained(folder);
        using var student = CausalLM.FromPretrainedLayers(folder, 2);
        Assert.AreEqual(2, student.Config.NumHiddenLayers);
        Assert.AreEqual(teacher.Config.IsSlidingLayer(3), student.Config.IsSlidingLayer(1));
        Assert.AreEqual(teacher.Config.UsesRope(3), student.Config.UsesRope(1));
        Assert.IsFalse(name == "smollm3" && student.Config.UsesRope(1), "the kept last layer is a NoPE layer");
        Assert.AreEqual(student.Config, ModelConfig.FromJson(student.Config.ToJson()));
        Assert.AreEqual(12, student.Logits(Enumerable.Range(3, 12).ToArray()).GetLength(0));
    }

    [TestMethod]
    public void StudentFromTeacherLayersCopiesTheKeptLayersAndTokenizer()
    {
        using var dir = new TempDirectory();
        TinyCheckpoints.Create(dir.Sub("teacher"), TinyCheckpoints.Config(layers: 4), seed: 9);
        using var teacher = CausalLM.FromPretrained(dir.Sub("teacher"));
        using var student = CausalLM.FromPretrainedLayers(dir.Sub("teacher"), 2); // teacher layers 0 and 3
        Assert.AreEqual(2, student.Config.NumHiddenLayers);
        Assert.IsNotNull(student.TokenizerFiles);
        var weights = teacher.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in student.Model.named_parameters())
        {
            string source = name.Replace("model.layers.1.", "model.layers.3.");
            Assert.IsTrue(TensorAssert.Identical(weights[source], parameter), name);
        }
        var ids = new[] { 1, 5, 9, 12 };
        Assert.AreNotEqual(teacher.Logits(ids)[3, 0], student.Logits(ids)[3, 0], "dropping layers changes the output");

        student.SavePretrained(dir.Sub("student"));
        using var reloaded = CausalLM.FromPretrained(dir.Sub("student"));
        Assert.AreEqual(2, reloaded.Config.NumHiddenLayers);
        CollectionAssert.AreEqual(student.Logits(ids), reloaded.Logits(ids));
    }
}
