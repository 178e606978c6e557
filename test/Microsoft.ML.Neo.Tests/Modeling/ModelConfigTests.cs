using Microsoft.ML.Neo.Modeling;

namespace Microsoft.ML.Neo.Tests.Modeling;

[TestClass]
public sealed class ModelConfigTests
{
    [TestMethod]
    public void JsonRoundTrips()
    {
        var config = TinyCheckpoints.Config(tied: true) with { PadTokenId = 0, RopeTheta = 500000 };
        // head_dim is always written out, so it comes back resolved.
        Assert.AreEqual(config with { HeadDim = config.ResolvedHeadDim }, ModelConfig.FromJson(config.ToJson()));
    }

    [TestMethod]
    public void ReadsHuggingFaceDefaultsAndEosLists()
    {
        const string json = """
        { "model_type": "llama", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
          "num_hidden_layers": 2, "num_attention_heads": 4, "eos_token_id": [7, 8] }
        """;
        var config = ModelConfig.FromJson(json);
        Assert.AreEqual(4, config.NumKeyValueHeads, "defaults to multi-head attention");
        Assert.AreEqual(16, config.ResolvedHeadDim);
        Assert.AreEqual(7, config.EosTokenId);
        Assert.IsFalse(config.TieWordEmbeddings);
    }

    [TestMethod]
    public void InconsistentOrUnsupportedConfigsNameTheKey()
    {
        var missing = Assert.ThrowsExactly<InvalidDataException>(() => ModelConfig.FromJson("{\"model_type\":\"llama\"}"));
        StringAssert.Contains(missing.Message, "required key 'num_attention_heads' is missing");
        var gqa = Assert.ThrowsExactly<InvalidDataException>(() => ModelConfig.FromJson(
            TinyCheckpoints.Config().ToJson().Replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3")));
        StringAssert.Contains(gqa.Message, "num_key_value_heads");
        var scaling = Assert.ThrowsExactly<NotSupportedException>(() => ModelConfig.FromJson(
            TinyCheckpoints.Config().ToJson().Replace("\"model_type\"", "\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}, \"model_type\"")));
        StringAssert.Contains(scaling.Message, "rope_scaling");
    }
}
