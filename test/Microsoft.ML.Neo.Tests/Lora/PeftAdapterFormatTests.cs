using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Lora;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Lora;

[TestClass]
public sealed class PeftAdapterFormatTests
{
    private static readonly int[] Tokens = { 1, 30, 31, 32, 33 };

    private static CausalLM AdaptedModel(string baseFolder, string[] targets)
    {
        var model = CausalLM.FromPretrained(baseFolder);
        LoraInjector.Apply(model.Model, new LoraSettings { Rank = 4, Alpha = 8, Dropout = 0.05f, TargetModules = targets });
        using (no_grad())
        {
            foreach (var (_, p) in LoraInjector.AdapterParameters(model.Model)) p.normal_(0, 0.3);
        }
        return model;
    }

    [TestMethod]
    public void ExportUsesPeftNamesAndConfig()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Sub("base"), TinyCheckpoints.Config(), seed: 60);
        using var model = AdaptedModel(folder.Sub("base"), new[] { "q_proj", "v_proj", "down_proj" });
        model.SavePeftAdapters(folder.Sub("adapter"), "my/base-model");

        using var reader = new SafeTensorsReader(Path.Combine(folder.Sub("adapter"), "adapter_model.safetensors"));
        Assert.IsTrue(reader.Tensors.ContainsKey("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
        Assert.IsTrue(reader.Tensors.ContainsKey("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));
        Assert.AreEqual(2 * 3 * 2, reader.Tensors.Count, "A and B of three modules in two layers");
        CollectionAssert.AreEqual(new long[] { 4, 32 }, reader.Tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].Shape);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.Sub("adapter"), "adapter_config.json")))!;
        Assert.AreEqual("LORA", config["peft_type"]!.GetValue<string>());
        Assert.AreEqual(4, config["r"]!.GetValue<int>());
        Assert.AreEqual(8.0, config["lora_alpha"]!.GetValue<double>());
        Assert.AreEqual("my/base-model", config["base_model_name_or_path"]!.GetValue<string>());
        CollectionAssert.AreEquivalent(new[] { "q_proj", "v_proj", "down_proj" },
            config["target_modules"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray());
    }

    [TestMethod]
    public void ImportOntoTheBaseReproducesTheAdaptedModel()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Sub("base"), TinyCheckpoints.Config(), seed: 61);
        using var adapted = AdaptedModel(folder.Sub("base"), LoraSettings.AllLinearLayers.ToArray());
        adapted.SavePeftAdapters(folder.Sub("adapter"));
        var expected = adapted.Logits(Tokens).Cast<float>().ToArray();

        using var reimported = CausalLM.FromPretrained(folder.Sub("base"));
        reimported.LoadPeftAdapters(folder.Sub("adapter"));
        CollectionAssert.AreEqual(expected, reimported.Logits(Tokens).Cast<float>().ToArray());

        // Merged and exported as a plain Hugging Face folder, then loaded again: same logits within float error.
        reimported.MergeAdapters();
        reimported.SavePretrained(folder.Sub("merged"));
        using var merged = CausalLM.FromPretrained(folder.Sub("merged"));
        var actual = merged.Logits(Tokens).Cast<float>().ToArray();
        double largest = expected.Max(Math.Abs);
        Assert.IsTrue(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() <= 1e-5 * largest);
    }

    [TestMethod]
    public void UnsupportedAdapterVariantsAreNamed()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Sub("base"), TinyCheckpoints.Config(), seed: 62);
        using var adapted = AdaptedModel(folder.Sub("base"), new[] { "q_proj" });
        adapted.SavePeftAdapters(folder.Sub("adapter"));
        string configPath = Path.Combine(folder.Sub("adapter"), "adapter_config.json");
        string original = File.ReadAllText(configPath);

        File.WriteAllText(configPath, original.Replace("\"fan_in_fan_out\": false", "\"fan_in_fan_out\": true"));
        using var target = CausalLM.FromPretrained(folder.Sub("base"));
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => target.LoadPeftAdapters(folder.Sub("adapter"))).Message, "fan_in_fan_out");

        File.WriteAllText(configPath, original.Replace("\"q_proj\"", "\"c_attn\""));
        using var target2 = CausalLM.FromPretrained(folder.Sub("base"));
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => target2.LoadPeftAdapters(folder.Sub("adapter"))).Message, "c_attn");
    }
}
