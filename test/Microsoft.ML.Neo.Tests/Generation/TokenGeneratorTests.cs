using Microsoft.ML.Neo.Generation;

namespace Microsoft.ML.Neo.Tests.Generation;

[TestClass]
public sealed class TokenGeneratorTests
{
    private static readonly int[] Prompt = { 1, 60, 61, 62, 300, 301 };

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void KvCacheDecodingEqualsFullRecompute(bool tied)
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(tied: tied), seed: 11, withTokenizer: false);
        using var model = CausalLM.FromPretrained(folder.Path);

        foreach (var options in new[]
        {
            new GenerationOptions { MaxNewTokens = 20 },
            new GenerationOptions { MaxNewTokens = 20, Temperature = 0.8f, TopP = 0.9f, Seed = 5 },
        })
        {
            var cached = model.Generate(Prompt, options);
            var recomputed = model.Generate(Prompt, options with { UseKvCache = false });
            CollectionAssert.AreEqual(recomputed, cached, $"temperature {options.Temperature}");
            Assert.IsTrue(cached.Length > 0);
        }
    }

    [TestMethod]
    public void GenerationStopsAtMaxNewTokensAndEos()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 12, withTokenizer: false);
        using var model = CausalLM.FromPretrained(folder.Path);
        var ids = model.Generate(Prompt, new GenerationOptions { MaxNewTokens = 5 });
        Assert.IsTrue(ids.Length <= 5);
        Assert.IsFalse(ids.Contains(model.EndOfSequenceId!.Value), "the end-of-sequence token is not part of the output");
    }

    [TestMethod]
    public void SamplingWithTheSameSeedRepeats()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 13, withTokenizer: false);
        using var model = CausalLM.FromPretrained(folder.Path);
        var options = new GenerationOptions { MaxNewTokens = 16, Temperature = 1.5f, Seed = 9 };
        CollectionAssert.AreEqual(model.Generate(Prompt, options), model.Generate(Prompt, options));
    }

    [TestMethod]
    public void InvalidOptionsAreRefused()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 14, withTokenizer: false);
        using var model = CausalLM.FromPretrained(folder.Path);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Generate(Prompt, new GenerationOptions { MaxNewTokens = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Generate(Prompt, new GenerationOptions { TopP = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Generate(Prompt, new GenerationOptions { Temperature = -1 }));
    }
}
