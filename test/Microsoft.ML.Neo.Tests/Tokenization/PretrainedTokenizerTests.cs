using System.Text;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Tests.Tokenization;

/// <summary>
/// The <see cref="Tokenizer"/> a model folder gives adds BOS as transformers' <c>encode</c> and Microsoft.ML.Tokenizers'
/// <c>LlamaTokenizer</c> do, unless the folder or the caller says otherwise.
/// </summary>
[TestClass]
public sealed class PretrainedTokenizerTests
{
    private const string Text = "Tom has 3 apples and buys 4 more. How many apples does Tom have?";

    [TestMethod]
    public void LlamaTokenizerModelStartsWithBosLikeMicrosoftTokenizersLlamaTokenizer()
    {
        var files = EmbeddedTask.CreateTokenizer();
        using var stream = new MemoryStream(files.Files[TokenizerFiles.SentencePieceFile]);
        var reference = LlamaTokenizer.Create(stream, addBeginOfSentence: true, addEndOfSentence: false);

        Tokenizer ours = files.Tokenizer;
        var ids = ours.EncodeToIds(Text);
        Assert.AreEqual(1, ids[0], "BOS (<s>) first");
        CollectionAssert.AreEqual(reference.EncodeToIds(Text).ToArray(), ids.ToArray());
        Assert.AreEqual(reference.CountTokens(Text), ours.CountTokens(Text));
        Assert.AreEqual(Text, ours.Decode(ids), "decoding an encoding gives the text back");
    }

    [TestMethod]
    public void FolderLoadedModelsTokenizerAddsBos()
    {
        using var folder = new TempDirectory();
        TinyCheckpoints.Create(folder.Path, TinyCheckpoints.Config(), seed: 3);
        using var model = CausalLM.FromPretrained(folder.Path);
        var ids = model.Tokenizer!.EncodeToIds(Text);
        Assert.AreEqual(model.TokenizerFiles!.BeginningOfSequenceId, ids[0]);
        CollectionAssert.AreEqual(model.TokenizerFiles.Encode(Text), ids.ToArray());
    }

    [TestMethod]
    public void AddBosTokenFalseAndWithBeginningOfSequenceTurnItOff()
    {
        var model = EmbeddedTask.CreateTokenizer().Files[TokenizerFiles.SentencePieceFile];
        var files = new Dictionary<string, byte[]>
        {
            [TokenizerFiles.SentencePieceFile] = model,
            ["tokenizer_config.json"] = Encoding.UTF8.GetBytes("""{"add_bos_token": false}"""),
        };
        var configured = TokenizerFiles.FromFiles(files, "test");
        var withDefault = EmbeddedTask.CreateTokenizer();
        Assert.IsFalse(configured.Tokenizer.AddsBeginningOfSequence);
        var plain = configured.Tokenizer.EncodeToIds(Text).ToArray();
        CollectionAssert.AreEqual(withDefault.Tokenizer.EncodeToIds(Text).Skip(1).ToArray(), plain);

        // The caller overrides the folder either way.
        CollectionAssert.AreEqual(plain, withDefault.Tokenizer.WithBeginningOfSequence(false).EncodeToIds(Text).ToArray());
        CollectionAssert.AreEqual(withDefault.Tokenizer.EncodeToIds(Text).ToArray(), configured.Tokenizer.WithBeginningOfSequence(true).EncodeToIds(Text).ToArray());
    }

    [TestMethod]
    public void TruncationCountsBosAndOffsetsStayInTheText()
    {
        var tokenizer = EmbeddedTask.CreateTokenizer().Tokenizer;
        var all = tokenizer.EncodeToIds(Text);
        var firstThree = tokenizer.EncodeToIds(Text, maxTokenCount: 3, out string? _, out int consumed);
        CollectionAssert.AreEqual(all.Take(3).ToArray(), firstThree.ToArray());
        Assert.IsTrue(consumed > 0 && consumed < Text.Length, $"consumed {consumed}");
        var tokens = tokenizer.EncodeToTokens(Text, out _);
        Assert.AreEqual(new Range(0, 0), tokens[0].Offset, "BOS stands for no text");
        Assert.AreEqual("<s>", tokens[0].Value);
    }

    [TestMethod]
    public void AddingBosWithoutABosTokenIsRefused()
    {
        var (json, _) = TinyTokenizerFiles.ByteLevelJson(new[] { "t h" }, Array.Empty<string>());
        var tokenizer = TokenizerFiles.FromFiles(new Dictionary<string, byte[]> { ["tokenizer.json"] = Encoding.UTF8.GetBytes(json) }, "test");
        Assert.IsNull(tokenizer.BeginningOfSequenceId);
        Assert.IsFalse(tokenizer.Tokenizer.AddsBeginningOfSequence);
        var e = Assert.ThrowsExactly<ArgumentException>(() => tokenizer.Tokenizer.WithBeginningOfSequence(true));
        StringAssert.Contains(e.Message, "no BOS token");
    }
}
