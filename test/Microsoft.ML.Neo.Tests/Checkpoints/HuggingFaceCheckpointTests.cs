using Microsoft.ML.Neo.Checkpoints;

namespace Microsoft.ML.Neo.Tests.Checkpoints;

[TestClass]
public sealed class HuggingFaceCheckpointTests
{
    private static readonly int[] Tokens = { 1, 100, 200, 300, 400 };

    [TestMethod]
    [DataRow(SafeTensorsDtype.Float32, 1e-6)]
    [DataRow(SafeTensorsDtype.Float16, 2e-2)]
    [DataRow(SafeTensorsDtype.BFloat16, 1e-1)]
    public void SavedFolderReloadsWithTheSameLogits(SafeTensorsDtype dtype, double tolerance)
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Sub("a"), TinyCheckpoints.Config(), seed: 21);
        using var original = CausalLM.FromPretrained(folder.Sub("a"));
        original.SavePretrained(folder.Sub("b"), dtype);
        using var reloaded = CausalLM.FromPretrained(folder.Sub("b"));

        Assert.IsNotNull(reloaded.Tokenizer);
        Assert.AreEqual(dtype.ToTorchDtype(), reloaded.Config.TorchDtype);
        var expected = original.Logits(Tokens);
        var actual = reloaded.Logits(Tokens);
        Assert.AreEqual(Tokens.Length, actual.GetLength(0));
        Assert.AreEqual(original.Config.VocabSize, actual.GetLength(1));
        double largest = expected.Cast<float>().Max(Math.Abs);
        double worst = expected.Cast<float>().Zip(actual.Cast<float>(), (e, a) => Math.Abs(e - a)).Max();
        Assert.IsTrue(worst <= tolerance * largest, $"max difference {worst}, largest logit {largest}");
    }

    [TestMethod]
    public void FolderWithoutTokenizerStillGivesLogits()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 22, withTokenizer: false);
        using var model = CausalLM.FromPretrained(folder.Path);
        Assert.IsNull(model.Tokenizer);
        Assert.AreEqual(3, model.Logits(new[] { 1, 2, 3 }).GetLength(0));
    }

    [TestMethod]
    public void FolderWithAnUnreadableTokenizerStillGivesLogitsWithAWarning()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 22, withTokenizer: false);
        File.WriteAllText(folder.Sub("tokenizer.json"), """{"model": {"type": "WordPiece", "vocab": {}}}""");

        using var model = CausalLM.FromPretrained(folder.Path);
        Assert.IsNull(model.Tokenizer);
        StringAssert.Contains(model.TokenizerWarning, Path.Combine(folder.Path, "tokenizer.json"), "the damaged file is named");
        StringAssert.Contains(model.TokenizerWarning, "model.type");
        Assert.AreEqual(3, model.Logits(new[] { 1, 2, 3 }).GetLength(0));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => model.Generate("hello"));
        StringAssert.Contains(e.Message, "model.type", "asking for text says why there is no tokenizer");

        using var student = CausalLM.FromPretrainedLayers(folder.Path, 1);
        Assert.IsNull(student.Tokenizer);
        Assert.IsNotNull(student.TokenizerWarning);

        using var readable = new TempDirectory();
        TinyCheckpoints.Create(readable.Path, TinyCheckpoints.Config(), seed: 22);
        using var withTokenizer = CausalLM.FromPretrained(readable.Path);
        Assert.IsNull(withTokenizer.TokenizerWarning);
    }

    [TestMethod]
    public void MissingFolderAndNonCheckpointsAreExplained()
    {
        using var folder = new TempDirectory();
        var missing = Assert.ThrowsExactly<DirectoryNotFoundException>(() => CausalLM.FromPretrained(folder.Sub("nope")));
        StringAssert.Contains(missing.Message, "does not exist");
        var empty = Assert.ThrowsExactly<InvalidDataException>(() => CausalLM.FromPretrained(folder.Path));
        StringAssert.Contains(empty.Message, "config.json");
        File.WriteAllText(folder.Sub("config.json"), TinyCheckpoints.Config().ToJson());
        var noWeights = Assert.ThrowsExactly<InvalidDataException>(() => CausalLM.FromPretrained(folder.Path));
        StringAssert.Contains(noWeights.Message, "model.safetensors");
    }

    [TestMethod]
    public void WrongShapesAndUnknownArchitecturesAreNamed()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Sub("small"), TinyCheckpoints.Config(hidden: 32), seed: 23, withTokenizer: false);
        Directory.CreateDirectory(folder.Sub("mixed"));
        File.Copy(folder.Sub("small/model.safetensors"), folder.Sub("mixed/model.safetensors"));
        File.WriteAllText(folder.Sub("mixed/config.json"), TinyCheckpoints.Config(hidden: 64).ToJson());
        var shape = Assert.ThrowsExactly<InvalidDataException>(() => CausalLM.FromPretrained(folder.Sub("mixed")));
        StringAssert.Contains(shape.Message, "shape");

        File.WriteAllText(folder.Sub("mixed/config.json"), TinyCheckpoints.Config().ToJson().Replace("\"llama\"", "\"gpt_neox\""));
        var architecture = Assert.ThrowsExactly<NotSupportedException>(() => CausalLM.FromPretrained(folder.Sub("mixed")));
        StringAssert.Contains(architecture.Message, "model_type");
    }
}
