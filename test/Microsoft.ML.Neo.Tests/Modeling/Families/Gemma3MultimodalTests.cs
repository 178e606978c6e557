using System.Text.Json.Nodes;
using Microsoft.ML.Neo.Checkpoints;
using Microsoft.ML.Neo.Modeling;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Modeling.Families;

/// <summary>
/// Gemma 3 with a vision tower (model_type 'gemma3', the 4B to 27B checkpoints) loads as its text model. The folders
/// are the reference gemma3 checkpoint laid out as a multimodal one: config.json nests the text settings under
/// text_config (only those that differ from Gemma3TextConfig's defaults, as transformers writes a sub-config), the
/// tensors sit under the multimodal prefixes, and vision tensors the text model must not read lie beside them.
/// </summary>
[TestClass]
public sealed class Gemma3MultimodalTests
{
    private static JsonObject TextJson(string textFolder) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(textFolder, "config.json")))!.AsObject();

    // A text folder's config nested as transformers nests it, with the ids and dtype at the top level.
    private static JsonObject MultimodalJson(string textFolder)
    {
        var text = TextJson(textFolder);
        var top = new JsonObject
        {
            ["architectures"] = new JsonArray("Gemma3ForConditionalGeneration"),
            ["model_type"] = "gemma3",
            ["eos_token_id"] = new JsonArray(2, 5),
            ["bos_token_id"] = text["bos_token_id"]?.DeepClone(),
            ["torch_dtype"] = "bfloat16",
            ["image_token_index"] = 127,
            ["vision_config"] = new JsonObject { ["model_type"] = "siglip_vision_model", ["hidden_size"] = 16 },
        };
        foreach (var key in new[] { "architectures", "eos_token_id", "bos_token_id", "torch_dtype", "tie_word_embeddings", "rms_norm_eps", "rope_theta" })
        {
            // The last three equal Gemma3TextConfig's defaults here, so transformers leaves them out.
            bool isDefault = key switch
            {
                "tie_word_embeddings" => text[key]?.GetValue<bool>() != false,
                "rms_norm_eps" => text[key] is null || text[key]!.GetValue<double>() == 1e-6,
                "rope_theta" => text[key] is null || text[key]!.GetValue<double>() == 1_000_000,
                _ => true,
            };
            if (isDefault) text.Remove(key);
        }
        text["model_type"] = "gemma3_text";
        top["text_config"] = text;
        return top;
    }

    /// <summary>Lays a Gemma 3 text folder out as a multimodal one (tokenizer files copied, vision tensors added).</summary>
    internal static void WriteAsMultimodal(string textFolder, string directory, string textPrefix = "language_model.model.")
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), MultimodalJson(textFolder).ToJsonString());
        foreach (var file in Directory.GetFiles(textFolder).Where(f => !Path.GetFileName(f).StartsWith("model.", StringComparison.Ordinal)
            && Path.GetFileName(f) is not ("config.json" or "reference.safetensors")))
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        using var scope = NewDisposeScope();
        using var reader = new SafeTensorsReader(Path.Combine(textFolder, "model.safetensors"));
        var tensors = reader.Tensors.Keys.Select(name => new KeyValuePair<string, Tensor>(
            name.StartsWith("model.", StringComparison.Ordinal) ? textPrefix + name["model.".Length..] : name, reader.Read(name))).ToList();
        tensors.Add(new("vision_tower.vision_model.embeddings.patch_embedding.weight", randn(16, 3, 2, 2)));
        tensors.Add(new("multi_modal_projector.mm_input_projection_weight", randn(16, 32)));
        SafeTensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors, SafeTensorsDtype.BFloat16);
    }

    [TestMethod]
    [DataRow("language_model.model.")]
    [DataRow("model.language_model.")]
    public void TheTextModelOfAMultimodalFolderGivesTheTextCheckpointsLogits(string textPrefix)
    {
        using var folder = new TempDirectory();
        WriteAsMultimodal(FamilyReferenceTests.Folder("gemma3"), folder.Path, textPrefix);
        using var text = CausalLM.FromPretrained(FamilyReferenceTests.Folder("gemma3"));
        using var multimodal = CausalLM.FromPretrained(folder.Path);

        Assert.AreEqual(text.Config, multimodal.Config with
        {
            EosTokenIds = text.Config.EosTokenIds, EosTokenId = text.Config.EosTokenId, PadTokenId = text.Config.PadTokenId,
        }, "the same text model, the defaults filled in");
        Assert.AreEqual(0, multimodal.Config.PadTokenId, "Gemma3TextConfig's default pad id");
        Assert.AreEqual("gemma3_text", multimodal.Config.ModelType);
        CollectionAssert.AreEqual(new[] { 2, 5 }, multimodal.Config.EosTokenIds.ToArray(), "ids kept at the top level are the text model's");
        CollectionAssert.IsSubsetOf(new[] { 2, 5 }, multimodal.StopTokenIds.ToArray());
        var ids = Enumerable.Range(3, 20).ToArray();
        var expected = text.Logits(ids);
        var actual = multimodal.Logits(ids);
        CollectionAssert.AreEqual(expected.Cast<float>().ToArray(), actual.Cast<float>().ToArray(), "bit-identical logits");
    }

    [TestMethod]
    public void AStudentMadeFromAMultimodalTeacherIsATextModelThatReloads()
    {
        using var folder = new TempDirectory();
        WriteAsMultimodal(FamilyReferenceTests.Folder("gemma3"), folder.Sub("teacher"));
        using var fromText = CausalLM.FromPretrainedLayers(FamilyReferenceTests.Folder("gemma3"), 2);
        using var student = CausalLM.FromPretrainedLayers(folder.Sub("teacher"), 2);
        student.SavePretrained(folder.Sub("student"));
        StringAssert.Contains(File.ReadAllText(Path.Combine(folder.Sub("student"), "config.json")), "Gemma3ForCausalLM");
        using var reloaded = CausalLM.FromPretrained(folder.Sub("student"));
        var ids = Enumerable.Range(3, 12).ToArray();
        CollectionAssert.AreEqual(fromText.Logits(ids).Cast<float>().ToArray(), reloaded.Logits(ids).Cast<float>().ToArray());
    }

    [TestMethod]
    public void Gemma3TextConfigsDefaultsFillWhatTheNestedConfigLeavesOut()
    {
        // gemma-3-4b's text_config, as published: only what differs from Gemma3TextConfig's defaults.
        var json = new JsonObject
        {
            ["model_type"] = "gemma3",
            ["eos_token_id"] = new JsonArray(1, 106),
            ["torch_dtype"] = "bfloat16",
            ["text_config"] = new JsonObject
            {
                ["hidden_size"] = 2560, ["intermediate_size"] = 10240, ["model_type"] = "gemma3_text", ["num_attention_heads"] = 8,
                ["num_hidden_layers"] = 34, ["num_key_value_heads"] = 4, ["sliding_window"] = 1024,
                ["rope_scaling"] = new JsonObject { ["factor"] = 8.0, ["rope_type"] = "linear" },
            },
        };
        var config = ModelConfig.FromJson(json.ToJsonString());
        Assert.AreEqual(262_208, config.VocabSize);
        Assert.AreEqual(131_072, config.MaxPositionEmbeddings);
        Assert.AreEqual(256, config.ResolvedHeadDim);
        Assert.AreEqual(4, config.NumKeyValueHeads);
        Assert.AreEqual(1_000_000, config.RopeTheta);
        Assert.AreEqual(10_000, config.LocalRopeTheta);
        Assert.AreEqual(256, config.QueryPreAttentionScalar);
        Assert.IsTrue(config.TieWordEmbeddings);
        Assert.AreEqual("gelu_pytorch_tanh", config.HiddenActivation);
        CollectionAssert.AreEqual(new[] { 1, 106 }, config.EosTokenIds.ToArray());
        Assert.AreEqual("bfloat16", config.TorchDtype);
        Assert.AreEqual(29, Enumerable.Range(0, 34).Count(config.IsSlidingLayer), "34 layers, every sixth global: 5 global, 29 sliding");
        StringAssert.Contains(config.ToJson(), "\"gemma3_text\"");
    }

    [TestMethod]
    public void AMultimodalConfigWithoutItsTextConfigIsRefusedByName()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ModelConfig.FromJson("""{"model_type": "gemma3", "vision_config": {}}"""));
        StringAssert.Contains(error.Message, "'text_config'");
        var json = MultimodalJson(FamilyReferenceTests.Folder("gemma3"));
        json["text_config"]!["model_type"] = "gemma2";
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => ModelConfig.FromJson(json.ToJsonString())).Message, "'text_config.model_type' is 'gemma2'");
    }
}
