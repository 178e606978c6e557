using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Lora;
using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo.Tests.Modeling.Families;

/// <summary>
/// Each family's config.json (the reference tool's, as transformers spells them) read into the decoder's switches,
/// written back unchanged, and the settings the library cannot run refused with the key that names them.
/// </summary>
[TestClass]
public sealed class ModelFamilyConfigTests
{
    private static JsonObject ReferenceJson(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(FamilyReferenceTests.Folder(name), "config.json")))!.AsObject();

    private static ModelConfig Read(JsonObject json) => ModelConfig.FromJson(json.ToJsonString());

    [TestMethod]
    [DynamicData(nameof(FamilyReferenceTests.Cases), typeof(FamilyReferenceTests))]
    public void EveryFamilysConfigRoundTripsThroughItsOwnJson(string name)
    {
        var reference = ReferenceJson(name);
        var config = Read(reference);
        var written = JsonNode.Parse(config.ToJson())!.AsObject();
        // Against the reference tool's file, not against itself: every key the reference has is written back with
        // its value, but for the keys transformers writes that no family reads.
        var differences = new List<string>();
        int layers = reference["num_hidden_layers"]!.GetValue<int>();
        foreach (var (key, value) in reference)
        {
            if (NotRead.Contains(key)) continue;
            // A layer pattern is written as the explicit list it stands for, as transformers itself saves it.
            if (key == "sliding_window_pattern")
            {
                int pattern = value!.GetValue<int>();
                var expected = Enumerable.Range(0, layers).Select(i => (i + 1) % pattern != 0 ? "sliding_attention" : "full_attention");
                if (!written["layer_types"]!.AsArray().Select(t => t!.GetValue<string>()).SequenceEqual(expected)) differences.Add($"{key}: layer_types do not follow it");
                continue;
            }
            if (key == "no_rope_layer_interval")
            {
                int interval = value!.GetValue<int>();
                var expected = Enumerable.Range(0, layers).Select(i => (i + 1) % interval != 0 ? 1 : 0);
                if (!written["no_rope_layers"]!.AsArray().Select(t => t!.GetValue<int>()).SequenceEqual(expected)) differences.Add($"{key}: no_rope_layers do not follow it");
                continue;
            }
            if (!written.TryGetPropertyValue(key, out var back)) differences.Add($"{key}: not written");
            else if (!SameJson(value, back)) differences.Add($"{key}: {value?.ToJsonString()} written as {back?.ToJsonString()}");
        }
        Assert.AreEqual(0, differences.Count, $"{name}:\n" + string.Join("\n", differences));
        Assert.AreEqual(config, ModelConfig.FromJson(config.ToJson()), "and what is written reads back as the same config");
    }

    // What transformers writes into config.json that describes the file rather than the model.
    private static readonly HashSet<string> NotRead = new(StringComparer.Ordinal) { "transformers_version", "torch_dtype", "dtype", "_name_or_path" };

    // rope_scaling entries the writer adds: both names of the type (rope_type, and type for older readers), and the attention factor it derives.
    private static readonly HashSet<string> SpelledOut = new(StringComparer.Ordinal) { "rope_type", "type", "attention_factor" };

    // Equal JSON, numbers compared as numbers (1e-05 and 1E-05 alike; 2 and 2.0 alike).
    private static bool SameJson(JsonNode? a, JsonNode? b) => (a, b) switch
    {
        (null, null) => true,
        (JsonValue x, JsonValue y) when x.TryGetValue(out double dx) && y.TryGetValue(out double dy) => dx == dy,
        // Every key of the reference's object, and of the writer's own only the derived ones it spells out.
        (JsonObject x, JsonObject y) => x.All(p => y.TryGetPropertyValue(p.Key, out var v) && SameJson(p.Value, v))
                                        && y.All(p => x.ContainsKey(p.Key) || SpelledOut.Contains(p.Key)),
        (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(p => SameJson(p.First, p.Second)),
        _ => JsonNode.DeepEquals(a, b),
    };

    [TestMethod]
    public void Qwen3NormalisesQueriesAndKeysAndHasNoQkvBias()
    {
        var config = Read(ReferenceJson("qwen3"));
        Assert.IsTrue(config.QueryKeyNorm);
        Assert.IsFalse(config.QkvBias);
        Assert.AreEqual(12, config.ResolvedHeadDim, "explicit head_dim");
        Assert.IsFalse(Read(ReferenceJson("qwen2")).QueryKeyNorm);
        Assert.IsTrue(Read(ReferenceJson("qwen2")).QkvBias);
    }

    [TestMethod]
    public void Gemma3DerivesItsLayerPatternAndReadsItsOwnKeys()
    {
        var config = Read(ReferenceJson("gemma3")); // sliding_window_pattern 3, no layer_types
        CollectionAssert.AreEqual(new[] { true, true, false, true }, Enumerable.Range(0, 4).Select(config.IsSlidingLayer).ToArray());
        Assert.IsTrue(config.NormWeightOffset && config.ScaleEmbeddings && config.SandwichNorms && config.QueryKeyNorm);
        Assert.AreEqual("gelu_pytorch_tanh", config.HiddenActivation);
        Assert.AreEqual(20, config.QueryPreAttentionScalar);
        Assert.AreEqual(10_000, config.LocalRopeTheta);
        Assert.AreEqual(1_000_000, config.RopeTheta);
        Assert.AreEqual("linear", config.RopeScaling!.Type);
        Assert.IsNull(config.FinalLogitSoftcapping);
        Assert.AreEqual(3.0, Read(ReferenceJson("gemma3-softcap")).FinalLogitSoftcapping);

        // As transformers' Gemma 3: hidden_activation alone chooses the MLP's activation, tanh GELU by default.
        var withoutActivation = ReferenceJson("gemma3");
        withoutActivation.Remove("hidden_activation");
        withoutActivation["hidden_act"] = "silu";
        Assert.AreEqual("gelu_pytorch_tanh", Read(withoutActivation).HiddenActivation);

        // The newer rope_parameters form, one entry per layer type.
        var json = ReferenceJson("gemma3");
        json.Remove("rope_theta");
        json.Remove("rope_local_base_freq");
        json.Remove("rope_scaling");
        json["rope_parameters"] = new JsonObject
        {
            ["full_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 500_000.0 },
            ["sliding_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 7_000.0 },
        };
        var parameters = Read(json);
        Assert.AreEqual(500_000, parameters.RopeTheta);
        Assert.AreEqual(7_000, parameters.LocalRopeTheta);
        Assert.IsNull(parameters.RopeScaling);
    }

    [TestMethod]
    public void Phi3ReadsPartialRotationAndLongRope()
    {
        var config = Read(ReferenceJson("phi3")); // max 64, original 16, head_dim 8, factor 0.5
        Assert.IsTrue(config.FusedProjections);
        Assert.AreEqual(4, config.RotaryDim);
        var scaling = config.RopeScaling!;
        Assert.AreEqual("longrope", scaling.Type);
        Assert.AreEqual(16, scaling.OriginalMaxPositionEmbeddings);
        Assert.AreEqual(4.0, scaling.Factor, 1e-12);
        Assert.AreEqual(Math.Sqrt(1 + Math.Log(4) / Math.Log(16)), scaling.AttentionFactor, 1e-12);
        Assert.IsTrue(config.IsSlidingLayer(0) && config.IsSlidingLayer(1));

        var json = ReferenceJson("phi3");
        json["rope_scaling"]!["short_factor"] = new JsonArray(1.0, 1.0, 1.0);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Read(json)).Message, "'rope_scaling.short_factor' must list 2 numbers");
    }

    [TestMethod]
    public void SmolLM3DerivesNoPeLayersFromTheInterval()
    {
        var config = Read(ReferenceJson("smollm3")); // 4 layers, no_rope_layer_interval 2
        CollectionAssert.AreEqual(new[] { true, false, true, false }, Enumerable.Range(0, 4).Select(config.UsesRope).ToArray());
        var json = ReferenceJson("smollm3");
        json["no_rope_layers"] = new JsonArray(0, 1, 1, 1);
        CollectionAssert.AreEqual(new[] { false, true, true, true }, Enumerable.Range(0, 4).Select(Read(json).UsesRope).ToArray());
    }

    [TestMethod]
    [DataRow("model_type", "\"gemma2\"", "Gemma 2's soft-capped attention")]
    [DataRow("model_type", "\"qwen3_moe\"", "mixture-of-experts")]
    [DataRow("model_type", "\"falcon\"", "Supported: llama, mistral, qwen2, qwen3, gemma3_text, gemma3, phi3, smollm3")]
    [DataRow("use_sliding_window", "true", "'use_sliding_window' is true")]
    [DataRow("rope_scaling", "{\"rope_type\":\"yarn\",\"factor\":4}", "'rope_scaling' type 'yarn'")]
    [DataRow("hidden_act", "\"gelu\"", "'hidden_act' is 'gelu'")]
    [DataRow("attn_logit_softcapping", "50.0", "'attn_logit_softcapping' is 50")]
    [DataRow("num_experts", "8", "'num_experts' is 8")]
    public void WhatCannotRunExactlyIsRefusedByKeyAndValue(string key, string value, string expected)
    {
        var json = ReferenceJson("qwen3");
        json[key] = JsonNode.Parse(value);
        var error = Assert.ThrowsExactly<NotSupportedException>(() => Read(json));
        StringAssert.Contains(error.Message, expected);
    }

    [TestMethod]
    public void AKeyOfTheWrongTypeIsNamedWithItsValue()
    {
        var json = ReferenceJson("gemma3");
        json["sliding_window"] = "wide";
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Read(json));
        StringAssert.Contains(error.Message, "'sliding_window' must be an integer, found \"wide\"");
        var broken = Assert.ThrowsExactly<InvalidDataException>(() => ModelConfig.FromJson("{\"model_type\": 'qwen3'}"));
        StringAssert.Contains(broken.Message, "config.json: it is not valid JSON");
    }

    [TestMethod]
    public void AFamilySettingAConfigCannotExpressIsRefusedOnWrite()
    {
        var llama = TinyCheckpoints.Config() with { NoRopeLayers = new[] { 1, 0 } };
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => llama.ToJson()).Message, "NoRopeLayers");
    }

    [TestMethod]
    public void LoraTargetsMapOntoEachFamilysProjections()
    {
        using var phi = new DecoderForCausalLM(TinyCheckpoints.AsFamily(TinyCheckpoints.Config(), "phi3"));
        Assert.AreEqual(2 * 4, LoraInjector.Apply(phi, new LoraSettings()), "qkv_proj, o_proj, gate_up_proj, down_proj per layer");
        var adapted = phi.Projections().Where(p => p.Linear.Adapter is not null).Select(p => p.Path).ToList();
        CollectionAssert.Contains(adapted, "model.layers.0.self_attn.qkv_proj");
        CollectionAssert.Contains(adapted, "model.layers.1.mlp.gate_up_proj");
        Assert.AreEqual(32 + 2 * 16, phi.Projections().First(p => p.Path.EndsWith("qkv_proj")).Linear.OutFeatures, "(H + 2 KV) · D");

        using var qwen3 = new DecoderForCausalLM(TinyCheckpoints.AsFamily(TinyCheckpoints.Config(), "qwen3"));
        Assert.AreEqual(2, LoraInjector.Apply(qwen3, new LoraSettings { TargetModules = new[] { "q_proj" } }));
        Assert.IsTrue(qwen3.named_parameters().Any(p => p.name == "model.layers.0.self_attn.q_norm.weight"));

        using var llama = new DecoderForCausalLM(TinyCheckpoints.Config());
        var error = Assert.ThrowsExactly<ArgumentException>(() => LoraInjector.Apply(llama, new LoraSettings { TargetModules = new[] { "qkv_proj" } }));
        StringAssert.Contains(error.Message, "a Llama model's projections are q_proj");
    }
}
