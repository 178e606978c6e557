using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo.Tests.Modeling;

/// <summary>Llama-family variants that share the architecture: Qwen2 biases, Mistral's window, RoPE scaling.</summary>
[TestClass]
public sealed class ModelFamiliesTests
{
    [TestMethod]
    public void Qwen2HasQkvBiasesButNoOutputBias()
    {
        var config = TinyCheckpoints.Config() with { ModelType = "qwen2" };
        using var model = CausalLM.Create(ModelConfig.FromJson(config.ToJson()), null, seed: 1);
        var names = model.Model.named_parameters().Select(p => p.name).ToHashSet();
        Assert.IsTrue(names.Contains("model.layers.0.self_attn.q_proj.bias"));
        Assert.IsTrue(names.Contains("model.layers.1.self_attn.v_proj.bias"));
        Assert.IsFalse(names.Contains("model.layers.0.self_attn.o_proj.bias"));
        Assert.IsFalse(names.Contains("model.layers.0.mlp.up_proj.bias"));
        StringAssert.Contains(config.ToJson(), "Qwen2ForCausalLM");
    }

    [TestMethod]
    public void AttentionAndMlpBiasFlagsAddBiases()
    {
        var config = TinyCheckpoints.Config() with { AttentionBias = true, MlpBias = true, HeadDim = 16 };
        using var model = CausalLM.Create(config, null, seed: 1);
        var names = model.Model.named_parameters().Select(p => p.name).ToHashSet();
        Assert.IsTrue(names.Contains("model.layers.0.self_attn.o_proj.bias"));
        Assert.IsTrue(names.Contains("model.layers.0.mlp.down_proj.bias"));
        var q = model.Model.named_parameters().Single(p => p.name == "model.layers.0.self_attn.q_proj.weight").parameter;
        CollectionAssert.AreEqual(new long[] { 4 * 16, 32 }, q.shape, "explicit head_dim sets the projection width");
        Assert.AreEqual(3, model.Logits(new[] { 1, 2, 3 }).GetLength(0));
    }

    [TestMethod]
    public void MistralAttendsThroughItsWindowBeyondIt()
    {
        // The window is applied exactly, so the context is max_position_embeddings, not the window. Within the first
        // window Mistral equals a Llama with the same weights; past it, the positions that can no longer see the
        // earliest tokens differ.
        var json = JsonNode.Parse(TinyCheckpoints.Config().ToJson())!.AsObject();
        json["model_type"] = "mistral";
        json["sliding_window"] = 4;
        var config = ModelConfig.FromJson(json.ToJsonString());
        Assert.AreEqual(128, config.ContextLength);
        Assert.IsTrue(config.IsSlidingLayer(0) && config.IsSlidingLayer(1));
        using var mistral = CausalLM.Create(config, null, seed: 1);
        json["model_type"] = "llama";
        json.Remove("sliding_window");
        using var llama = CausalLM.Create(ModelConfig.FromJson(json.ToJsonString()), null, seed: 1);
        var tokens = Enumerable.Range(1, 10).ToArray();
        float[,] windowed = mistral.Logits(tokens), full = llama.Logits(tokens);
        for (int position = 0; position < tokens.Length; position++)
        {
            double difference = Enumerable.Range(0, windowed.GetLength(1)).Max(v => Math.Abs(windowed[position, v] - full[position, v]));
            if (position < 4) Assert.AreEqual(0, difference, 1e-5, $"position {position} sees no more than the window");
            else Assert.IsTrue(difference > 1e-3, $"position {position} should have lost its earliest keys");
        }
    }

    [TestMethod]
    public void Llama3RopeScalingFollowsItsThreeBands()
    {
        var scaling = new RopeScaling { Type = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 8192 };
        // Wavelengths 2π/f: 6.3 (short: kept), 4000 (between 2048 and 8192: blended), 62832 (long: divided by 8).
        double[] frequencies = { 1.0, 2 * Math.PI / 4000, 1e-4 };
        var scaled = (double[])frequencies.Clone();
        scaling.Apply(scaled);
        Assert.AreEqual(1.0, scaled[0], 1e-12);
        double smooth = (8192 / 4000.0 - 1) / (4 - 1);
        Assert.AreEqual((1 - smooth) * frequencies[1] / 8 + smooth * frequencies[1], scaled[1], 1e-15);
        Assert.AreEqual(1e-4 / 8, scaled[2], 1e-15);
    }

    [TestMethod]
    public void RopeScalingChangesLogitsAndRoundTrips()
    {
        var json = JsonNode.Parse(TinyCheckpoints.Config().ToJson())!.AsObject();
        json["rope_scaling"] = JsonNode.Parse("""{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 16}""");
        var scaled = ModelConfig.FromJson(json.ToJsonString());
        Assert.AreEqual(scaled, ModelConfig.FromJson(scaled.ToJson()) with { });
        using var plain = CausalLM.Create(TinyCheckpoints.Config(), null, seed: 3);
        using var withScaling = CausalLM.Create(scaled with { HeadDim = 0 }, null, seed: 3);
        var tokens = Enumerable.Range(1, 20).ToArray();
        var a = plain.Logits(tokens);
        var b = withScaling.Logits(tokens);
        Assert.AreEqual(a[0, 5], b[0, 5], 1e-6, "position 0 is not rotated");
        Assert.IsTrue(Math.Abs(a[19, 5] - b[19, 5]) > 1e-6, "later positions see the scaled frequencies");
    }

    [TestMethod]
    public void UnsupportedSettingsNameTheirKey()
    {
        var json = JsonNode.Parse(TinyCheckpoints.Config().ToJson())!.AsObject();
        json["hidden_act"] = "gelu";
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => ModelConfig.FromJson(json.ToJsonString())).Message, "hidden_act");
        json["hidden_act"] = "silu";
        json["model_type"] = "qwen2";
        json["use_sliding_window"] = true;
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => ModelConfig.FromJson(json.ToJsonString())).Message, "use_sliding_window");
    }
}
