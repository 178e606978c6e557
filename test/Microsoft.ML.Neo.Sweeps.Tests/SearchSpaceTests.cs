using Microsoft.ML.Neo.Sweeps;

namespace Microsoft.ML.Neo.Tests.Sweeps;

[TestClass]
public sealed class SearchSpaceTests
{
    [TestMethod]
    public void LogIntegerRangeSpreadsOverTheLogarithm()
    {
        var rank = SearchRange.Int(4, 128, logScale: true);
        Assert.AreEqual(4, rank.FromUnit(0));
        Assert.AreEqual(128, rank.FromUnit(1));
        Assert.AreEqual(32, rank.FromUnit(0.6));          // 4 · 32^0.6 = 32
        Assert.AreEqual(0.6, rank.ToUnit(32), 1e-12);
        var lr = SearchRange.Float(1e-4, 1e-2, logScale: true);
        Assert.AreEqual(1e-3, lr.FromUnit(0.5), 1e-15);
        var weight = SearchRange.Float(0, 1);
        Assert.AreEqual(0.25, weight.FromUnit(0.25));
        Assert.AreEqual(2.0, SearchRange.Fixed(2).FromUnit(0.9));
    }

    [TestMethod]
    public void BadRangesAreRefusedNamingTheParameter()
    {
        var space = new NeoSearchSpace { Temperature = SearchRange.Float(4, 2, logScale: true) };
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(space.Validate);
        StringAssert.Contains(e.Message, "Temperature");
        StringAssert.Contains(e.Message, "empty");

        space = new NeoSearchSpace { LearningRate = SearchRange.Float(0, 1e-2, logScale: true) };
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(space.Validate);
        StringAssert.Contains(e.Message, "LearningRate");
        StringAssert.Contains(e.Message, "log scale needs a minimum above 0");

        space = new NeoSearchSpace { KdWeight = SearchRange.Float(0, 2) };
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(space.Validate);
        StringAssert.Contains(e.Message, "KdWeight");

        space = new NeoSearchSpace { LoraRank = SearchRange.Int(0, 8) };
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(space.Validate);
        new NeoSearchSpace { Epochs = SearchRange.Int(1, 3) }.Validate();
    }

    [TestMethod]
    public void ParametersMapToOptionsKeepingTheAlphaRatio()
    {
        var space = new NeoSearchSpace { Epochs = SearchRange.Int(1, 3) };
        var parameters = space.FromUnit(new[] { 0.6, 0.5, 0.25, 0.5, 1.0 });
        Assert.AreEqual(new SweepParameters(32, 2, 0.25, 1e-3, 3), parameters with { LearningRate = Math.Round(parameters.LearningRate, 12) });
        var options = parameters.ApplyTo(new NeoDistillOptions { LoraRank = 8, LoraAlpha = 16, Epochs = 1 });
        Assert.AreEqual(32, options.LoraRank);
        Assert.AreEqual(64f, options.LoraAlpha);
        Assert.AreEqual(3, options.Epochs);
        CollectionAssert.AreEqual(new[] { 0.6, 0.5, 0.25, 0.5, 1.0 }, space.ToUnit(parameters).Select(x => Math.Round(x, 9)).ToArray());
    }

    [TestMethod]
    public void ADimensionAddedToTheTableIsSearchedAppliedLoggedAndShown()
    {
        // WarmupFraction was added as one entry of SweepDimensions (with its property on the space and the parameters).
        var space = new NeoSearchSpace { WarmupFraction = SearchRange.Float(0, 0.2) };
        space.Validate();
        CollectionAssert.Contains(space.Dimensions.Select(d => d.Name).ToList(), nameof(NeoSearchSpace.WarmupFraction));
        var parameters = space.FromUnit(space.Dimensions.Select(d => d.Name == nameof(NeoSearchSpace.WarmupFraction) ? 0.5 : 0.5).ToArray());
        Assert.AreEqual(0.1, parameters.WarmupFraction!.Value, 1e-12);
        Assert.AreEqual(0.1, parameters.ApplyTo(new NeoDistillOptions()).WarmupFraction, 1e-12);
        StringAssert.Contains(parameters.ToString(), "warmup 0.10");

        using var folder = new TempDirectory();
        var log = new TrialLog(folder.Sub("trials.jsonl"));
        log.Open("a sweep");
        log.Append(new SweepTrial(1, parameters, space.ToUnit(parameters), 0.5, 1, TrialStatus.Completed, null, null));
        var read = new TrialLog(folder.Sub("trials.jsonl")).Open("a sweep").Single().Parameters;
        Assert.AreEqual(parameters, read, "the trial log writes and reads it");
        Assert.AreEqual(0.1, read.WarmupFraction!.Value, 1e-12);

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(new NeoSearchSpace { WarmupFraction = SearchRange.Float(0, 2) }.Validate, "its bounds are checked");
    }
}
