using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Sweeps;

namespace Microsoft.ML.Neo.Tests.Sweeps;

/// <summary>Categorical and conditional dimensions of the search space: their coordinates, options and checks.</summary>
[TestClass]
public sealed class CategoricalSpaceTests
{
    private static NeoSearchSpace Space() => new()
    {
        Divergences = new[] { Divergence.ForwardKL, Divergence.JensenShannon, Divergence.SkewedReverseKL },
        Primings = new[] { PrimingChoice.Of(PrimingStrategy.None), PrimingChoice.Custom("Think: {question}") },
        FinetuningKinds = new[] { Finetuning.Lora, Finetuning.Full },
        AdapterKinds = new[] { AdapterKind.Lora, AdapterKind.Dora },
        OnPolicyFraction = SearchRange.Float(0, 0.5),
    };

    [TestMethod]
    public void AChoiceGivesEachCategoryAnEqualSliceAndItsMiddleBack()
    {
        var choice = SearchRange.Choice(3);
        Assert.IsTrue(choice.IsCategorical);
        Assert.AreEqual(3, choice.CategoryCount);
        CollectionAssert.AreEqual(new[] { 0.0, 0, 1, 1, 2, 2 }, new[] { 0, 0.33, 0.34, 0.66, 0.67, 1 }.Select(choice.FromUnit).ToArray());
        CollectionAssert.AreEqual(new[] { 1 / 6.0, 0.5, 5 / 6.0 }, new[] { 0.0, 1, 2 }.Select(choice.ToUnit).ToArray());
        Assert.IsTrue(SearchRange.Choice(1).IsFixed, "one category is not searched");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SearchRange.Choice(0));
    }

    [TestMethod]
    public void DimensionsComeInTheirDocumentedOrderWithConditionalOnesAfterTheirParent()
    {
        var names = Space().Dimensions.Select(d => d.Name).ToArray();
        CollectionAssert.AreEqual(new[] { "LoraRank", "Temperature", "KdWeight", "LearningRate", "Divergences", "JsdBeta", "SkewAlpha",
            "Primings", "OnPolicyFraction", "FinetuningKinds", "AdapterKinds" }, names);
        // Without JSD or a skewed KL among the divergences, their parameters are not dimensions at all.
        var plain = new NeoSearchSpace { Divergences = new[] { Divergence.ForwardKL, Divergence.ReverseKL } };
        CollectionAssert.DoesNotContain(plain.Dimensions.Select(d => d.Name).ToList(), "JsdBeta");
        CollectionAssert.AreEqual(new[] { "ForwardKL", "ReverseKL" }, plain.CategoriesOf("Divergences")!.ToArray());
    }

    [TestMethod]
    public void ParametersSetOnlyTheOptionsTheirConfigurationUses()
    {
        var space = Space();
        // JSD (index 1), the custom priming, LoRA with DoRA.
        var jsd = space.FromUnit(new[] { 0.6, 0.5, 0.25, 0.5, 0.5, 0.75, 0.3, 0.9, 0.4, 0.2, 0.9 });
        Assert.AreEqual(Divergence.JensenShannon, jsd.Divergence);
        Assert.AreEqual(0.1 + 0.75 * 0.8, jsd.JsdBeta!.Value, 1e-12);
        Assert.IsNull(jsd.SkewAlpha, "α belongs to the skewed KLs");
        Assert.AreEqual(PrimingChoice.Custom("Think: {question}"), jsd.Priming);
        Assert.AreEqual(0.2, jsd.OnPolicyFraction!.Value, 1e-12);
        Assert.AreEqual(Finetuning.Lora, jsd.Finetuning);
        Assert.AreEqual(AdapterKind.Dora, jsd.Adapter);
        var options = jsd.ApplyTo(new NeoDistillOptions { LoraRank = 8, LoraAlpha = 16 });
        Assert.AreEqual(Divergence.JensenShannon, options.Divergence);
        Assert.AreEqual((float)jsd.JsdBeta.Value, options.JsdBeta);
        Assert.AreEqual(PrimingStrategy.Custom, options.Priming);
        Assert.AreEqual("Think: {question}", options.PrimingTemplate);
        Assert.AreEqual(0.2f, options.OnPolicyFraction, 1e-6f);
        Assert.IsTrue(options.UseDora);
        StringAssert.Contains(jsd.ToString(), "JensenShannon β 0.7");

        // Full fine-tuning: no rank and no adapter kind, whatever their coordinates; the variant options are cleared.
        var full = space.FromUnit(new[] { 0.6, 0.5, 0.25, 0.5, 0.9, 0.75, 0.3, 0.1, 0.4, 0.9, 0.9 });
        Assert.AreEqual(Divergence.SkewedReverseKL, full.Divergence);
        Assert.IsNotNull(full.SkewAlpha);
        Assert.IsNull(full.Adapter);
        var fullOptions = full.ApplyTo(new NeoDistillOptions { Teacher = new TeacherModel("teacher"), StudentModelPath = "student", UseDora = true });
        Assert.AreEqual(Finetuning.Full, fullOptions.Finetuning);
        Assert.IsFalse(fullOptions.UseDora, "NeoDistill refuses a LoRA variant with Full; the sweep does not ask for one");
        fullOptions.Validate();
        Assert.IsFalse(full.ToString().Contains("rank", StringComparison.Ordinal), full.ToString());
    }

    [TestMethod]
    public void DoraWithRsLoraIsOneOfTheVariantsASweepCanChoose()
    {
        var space = new NeoSearchSpace { AdapterKinds = new[] { AdapterKind.Lora, AdapterKind.DoraRsLora } };
        space.Validate();
        // The adapter coordinate is the last; its upper half is the second choice.
        var point = space.FromUnit(space.Dimensions.Select(d => d.Name == nameof(NeoSearchSpace.AdapterKinds) ? 0.9 : 0.5).ToArray());
        Assert.AreEqual(AdapterKind.DoraRsLora, point.Adapter);
        var options = point.ApplyTo(new NeoDistillOptions { Teacher = new TeacherModel("teacher"), StudentModelPath = "student", LoraRank = 8, LoraAlpha = 16 });
        Assert.IsTrue(options.UseDora && options.UseRsLora, "both DoRA's magnitudes and rsLoRA's scaling");
        Assert.AreEqual(LoraInitialization.Default, options.LoraInitialization);
        options.Validate();
        var plain = space.FromUnit(space.Dimensions.Select(d => d.Name == nameof(NeoSearchSpace.AdapterKinds) ? 0.1 : 0.5).ToArray()).ApplyTo(options);
        Assert.IsFalse(plain.UseDora || plain.UseRsLora, "a plain LoRA trial clears what the base options or an earlier kind set");
    }

    [TestMethod]
    public void TheCanonicalPointZeroesUnusedCoordinatesAndCentresCategories()
    {
        var space = Space();
        var full = space.Canonical(new[] { 0.6, 0.5, 0.25, 0.5, 0.1, 0.75, 0.3, 0.9, 0.4, 0.9, 0.9 });
        Assert.AreEqual(0, full[0], "no rank without adapters");
        Assert.AreEqual(1 / 6.0, full[4], 1e-12, "forward KL, the first of three");
        Assert.AreEqual(0, full[5], "no β without JSD");
        Assert.AreEqual(0, full[6], "no α without a skewed KL");
        Assert.AreEqual(0.75, full[7], 1e-12, "the second of two primings");
        Assert.AreEqual(0.75, full[9], 1e-12, "Full, the second fine-tuning kind");
        Assert.AreEqual(0, full[10], "no adapter kind without adapters");
        // Two points that train the same way have one canonical point, which maps back to the same parameters.
        var other = space.Canonical(new[] { 0.1, 0.5, 0.25, 0.5, 0.2, 0.1, 0.9, 0.6, 0.4, 0.6, 0.1 });
        CollectionAssert.AreEqual(full, other);
        Assert.AreEqual(space.FromUnit(full), space.FromUnit(other));
        var back = space.ToUnit(space.FromUnit(full));
        for (int i = 0; i < full.Length; i++) Assert.AreEqual(full[i], back[i], 1e-12, $"coordinate {i}");
    }

    [TestMethod]
    public void BadChoicesAreRefusedNamingTheDimension()
    {
        string Refused(NeoSearchSpace space) => Assert.ThrowsExactly<ArgumentException>(space.Validate).Message;
        StringAssert.Contains(Refused(new NeoSearchSpace { Divergences = Array.Empty<Divergence>() }), "Divergences is empty");
        StringAssert.Contains(Refused(new NeoSearchSpace { AdapterKinds = new[] { AdapterKind.Dora, AdapterKind.Dora } }), "twice");
        StringAssert.Contains(Refused(new NeoSearchSpace { Primings = new[] { new PrimingChoice(PrimingStrategy.Custom) } }), "needs its template");
        StringAssert.Contains(Refused(new NeoSearchSpace { Primings = new[] { new PrimingChoice(PrimingStrategy.Teacher, "x") } }), "only Custom");
        StringAssert.Contains(Refused(new NeoSearchSpace { FinetuningKinds = new[] { Finetuning.Full }, AdapterKinds = new[] { AdapterKind.Dora } }), "no Lora");
        StringAssert.Contains(Refused(new NeoSearchSpace { Divergences = new[] { (Divergence)42 } }), "'42'");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(new NeoSearchSpace { OnPolicyFraction = SearchRange.Float(0, 2) }.Validate);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(new NeoSearchSpace { JsdBeta = SearchRange.Float(0.5, 1.5) }.Validate);
        Space().Validate();
    }
}
