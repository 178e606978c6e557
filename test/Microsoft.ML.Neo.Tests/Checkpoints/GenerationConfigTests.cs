using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Generation;

namespace Microsoft.ML.Neo.Tests.Checkpoints;

[TestClass]
public sealed class GenerationConfigTests
{
    private static readonly int[] Prompt = { 1, 60, 61, 62 };

    [TestMethod]
    public void ReadsSingleIdsAndLists()
    {
        var config = GenerationConfig.FromJson("""{"bos_token_id": 128000, "eos_token_id": [128001, 128009], "do_sample": true}""", "test");
        Assert.AreEqual(128000, config.BosTokenId);
        CollectionAssert.AreEqual(new[] { 128001, 128009 }, config.EosTokenIds.ToArray());
        Assert.IsNull(config.PadTokenId);
        var single = GenerationConfig.FromJson("""{"eos_token_id": 2, "pad_token_id": 0}""", "test");
        CollectionAssert.AreEqual(new[] { 2 }, single.EosTokenIds.ToArray());
        Assert.AreEqual(0, single.PadTokenId);
        CollectionAssert.AreEqual(config.EosTokenIds.ToArray(), GenerationConfig.FromJson(config.ToJson(), "again").EosTokenIds.ToArray());
    }

    [TestMethod]
    public void GenerationStopsAtEveryListedEndOfSequenceId()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 90, withTokenizer: false);
        int[] free;
        using (var model = CausalLM.FromPretrained(folder.Path)) free = model.Generate(Prompt, new GenerationOptions { MaxNewTokens = 12 });
        Assert.IsTrue(free.Length >= 4, "the random model should generate a few tokens");
        int stopAt = free[3];
        int expectedLength = Array.IndexOf(free, stopAt);

        File.WriteAllText(Path.Combine(folder.Path, GenerationConfig.FileName), $$"""{"eos_token_id": [2, {{stopAt}}]}""");
        using var withStops = CausalLM.FromPretrained(folder.Path);
        Assert.IsTrue(withStops.StopTokenIds.Contains(stopAt));
        CollectionAssert.AreEqual(free.Take(expectedLength).ToArray(), withStops.Generate(Prompt, new GenerationOptions { MaxNewTokens = 12 }));

        withStops.SavePretrained(folder.Sub("copy"));
        Assert.IsTrue(File.Exists(Path.Combine(folder.Sub("copy"), GenerationConfig.FileName)), "saved with the model");
    }
}
