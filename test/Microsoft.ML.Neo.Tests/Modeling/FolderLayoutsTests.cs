using System.Text;
using Microsoft.ML.Neo.Generation;
using Microsoft.ML.Neo.Modeling;
using Microsoft.ML.Neo.Tokenization;

namespace Microsoft.ML.Neo.Tests.Modeling;

/// <summary>
/// Whole Hugging Face folders in each family's layout (config, safetensors, tokenizer files, generation config), built
/// here: loaded, used, saved and loaded again; and distilled into a model zip that needs none of the folders.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class FolderLayoutsTests
{
    private const int Vocabulary = 520; // covers the largest tiny tokenizer (tiktoken: 259 ranks + 256 specials)

    /// <summary>Writes a tiny random model and the tokenizer files of <paramref name="layout"/>; returns the expected kind.</summary>
    internal static TokenizerKind WriteFolder(string directory, string layout, int seed, int hidden = 32)
    {
        var config = TinyCheckpoints.Config(hidden: hidden, vocab: Vocabulary);
        switch (layout)
        {
            case "llama3-tiktoken":
                config = config with { RopeScaling = new RopeScaling { Type = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 64 } };
                TinyCheckpoints.Create(directory, config, seed, withTokenizer: false);
                File.WriteAllBytes(Path.Combine(directory, "tokenizer.model"), TinyTokenizerFiles.TiktokenModel(new[] { "he", "the", " the" }));
                TinyTokenizerFiles.Write(directory, "tokenizer_config.json", """{"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}""");
                TinyTokenizerFiles.Write(directory, "generation_config.json", """{"bos_token_id": 259, "eos_token_id": [260, 268]}""");
                return TokenizerKind.Tiktoken;
            case "qwen2-bytelevel-json":
                TinyCheckpoints.Create(directory, config with { ModelType = "qwen2" }, seed, withTokenizer: false);
                var (qwen, _) = TinyTokenizerFiles.ByteLevelJson(new[] { "h e", "t he", "Ġ the" }, new[] { "<|endoftext|>", "<|im_start|>", "<|im_end|>" }, nfc: true);
                TinyTokenizerFiles.Write(directory, "tokenizer.json", qwen);
                TinyTokenizerFiles.Write(directory, "tokenizer_config.json", """{"bos_token": null, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "add_bos_token": false}""");
                return TokenizerKind.ByteLevelBpe;
            case "tinyllama-sentencepiece-json":
                TinyCheckpoints.Create(directory, config with { TieWordEmbeddings = true }, seed, withTokenizer: false);
                var (llama, _) = TinyTokenizerFiles.SentencePieceJson("abdehmnorst", new[] { "\u2581 t", "h e", "\u2581t he" });
                TinyTokenizerFiles.Write(directory, "tokenizer.json", llama);
                TinyTokenizerFiles.Write(directory, "special_tokens_map.json", """{"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}""");
                return TokenizerKind.SentencePieceBpe;
            default:
                throw new ArgumentException(layout);
        }
    }

    [TestMethod]
    [DataRow("llama3-tiktoken")]
    [DataRow("qwen2-bytelevel-json")]
    [DataRow("tinyllama-sentencepiece-json")]
    public void FolderLoadsGeneratesAndSavesAgainUnchanged(string layout)
    {
        using var dir = new TempDirectory();
        var kind = WriteFolder(dir.Sub("model"), layout, seed: 3);
        using var model = CausalLM.FromPretrained(dir.Sub("model"));
        var tokenizer = model.TokenizerFiles!;
        Assert.AreEqual(kind, tokenizer.Kind);
        Assert.IsNotNull(model.Tokenizer);
        var ids = tokenizer.Encode("the theme");
        var logits = model.Logits(ids);
        var generated = model.Generate(ids, new GenerationOptions { MaxNewTokens = 5 });
        Assert.IsTrue(generated.Length is > 0 and <= 5);
        Assert.IsTrue(generated.Take(generated.Length - 1).All(id => !model.StopTokenIds.Contains(id)), "generation stops at the first stop id");
        Assert.IsNotNull(model.Generate("the theme", new GenerationOptions { MaxNewTokens = 5 }));

        model.SavePretrained(dir.Sub("saved"));
        foreach (var name in tokenizer.Files.Keys)
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(dir.Sub("model"), name)), File.ReadAllBytes(Path.Combine(dir.Sub("saved"), name)), name);
        using var reloaded = CausalLM.FromPretrained(dir.Sub("saved"));
        CollectionAssert.AreEqual(ids, reloaded.TokenizerFiles!.Encode("the theme"));
        CollectionAssert.AreEqual(model.StopTokenIds.Order().ToArray(), reloaded.StopTokenIds.Order().ToArray());
        CollectionAssert.AreEqual(logits, reloaded.Logits(ids));
    }

    [TestMethod]
    public void Llama3FolderStopsAtEndOfTurnAndEndOfText()
    {
        using var dir = new TempDirectory();
        WriteFolder(dir.Path, "llama3-tiktoken", seed: 3);
        using var model = CausalLM.FromPretrained(dir.Path);
        Assert.AreEqual(268, model.EndOfSequenceId, "tokenizer_config.json's <|eot_id|>");
        CollectionAssert.IsSubsetOf(new[] { 260, 268 }, model.StopTokenIds.ToArray());
        CollectionAssert.AreEqual(new[] { 259, 257 }, model.TokenizerFiles!.Encode("the"), "BOS <|begin_of_text|> first");
    }

    [TestMethod]
    [DataRow("llama3-tiktoken")]
    [DataRow("qwen2-bytelevel-json")]
    public void DistilledZipCarriesTheTokenizerFiles(string layout)
    {
        using var dir = new TempDirectory();
        WriteFolder(dir.Sub("teacher"), layout, seed: 5, hidden: 64);
        WriteFolder(dir.Sub("student"), layout, seed: 6);
        var rows = Enumerable.Range(0, 8).Select(i => new PromptResponse { Prompt = $"the {i}", Response = $" theme {i + 1}" }).ToList();
        string zip = dir.Sub("model.zip");
        List<string> expected;
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        using (var model = ml.Transforms.NeoDistill(new NeoDistillOptions
        {
            Teacher = new TeacherModel(dir.Sub("teacher")), StudentModelPath = dir.Sub("student"), PromptColumnName = "Prompt",
            ResponseColumnName = "Response", LoraRank = 2, LoraAlpha = 4, BatchSize = 4, Epochs = 1, MaxNewTokens = 4, Seed = 1,
        }).Fit(data))
        {
            expected = rows.Take(3).Select(r => model.Complete(r.Prompt)).ToList();
            ml.Model.Save(model, data.Schema, zip);
        }
        Directory.Delete(dir.Sub("teacher"), true);
        Directory.Delete(dir.Sub("student"), true);

        var loaded = (NeoDistillTransformer)new MLContext().Model.Load(zip, out _);
        CollectionAssert.AreEqual(expected, rows.Take(3).Select(r => loaded.Complete(r.Prompt)).ToList());
        Assert.IsNotNull(loaded.Student.TokenizerFiles);
        Assert.IsTrue(loaded.Student.TokenizerFiles.Files.ContainsKey("tokenizer_config.json"));
        loaded.Dispose();
    }
}
