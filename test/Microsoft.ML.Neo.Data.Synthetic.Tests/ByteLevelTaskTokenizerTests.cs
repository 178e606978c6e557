using Microsoft.ML.Neo.Data;
using Microsoft.ML.Neo.Data.Synthetic;
using Microsoft.ML.Neo.Tokenization.Alignment;

namespace Microsoft.ML.Neo.Tests.Data;

/// <summary>The task's byte-level tokenizer: another kind, the same texts, alignable with the embedded SentencePiece one.</summary>
[TestClass]
public sealed class ByteLevelTaskTokenizerTests
{
    [TestMethod]
    public void ItSpellsTheTaskAndAlignsWithTheEmbeddedTokenizer()
    {
        var byteLevel = EmbeddedTask.CreateByteLevelTokenizer();
        var sentencePiece = EmbeddedTask.CreateTokenizer();
        Assert.AreEqual(TokenizerKind.ByteLevelBpe, byteLevel.Kind);
        Assert.AreNotEqual(sentencePiece.VocabularySize, byteLevel.VocabularySize);
        var studentEncoder = new PromptResponseEncoder(sentencePiece, 4096);
        var teacherEncoder = new PromptResponseEncoder(byteLevel, 4096);
        long positions = 0, same = 0;
        foreach (var problem in StyledWordProblems.Generate(50, seed: 9))
        {
            var ids = byteLevel.Encode(problem.Prompt, addBeginningOfSequence: false);
            Assert.AreEqual(problem.Prompt, byteLevel.Decode(ids), "a round trip");
            Assert.IsTrue(ids.Length < problem.Prompt.Length * 0.6, $"words are merged: {ids.Length} tokens for {problem.Prompt.Length} characters");
            var s = studentEncoder.Encode(problem.Prompt, problem.Solution)!;
            var t = teacherEncoder.Encode(problem.Prompt, " " + problem.Solution)!;
            var alignment = ResponseAlignment.Align(sentencePiece, s.TokenIds, s.ResponseStart, byteLevel, t.TokenIds, t.ResponseStart);
            positions += alignment.TeacherPosition.Length;
            same += alignment.SameTokenCount;
        }
        double share = (double)same / positions;
        Assert.IsTrue(share is > 0.3 and < 1.0, $"{share:P0} of response positions have the same token on both sides");
    }

    [TestMethod]
    public void TheEmbeddedByteLevelTeacherCarriesThisTokenizer()
    {
        string folder = Path.Combine(RepositoryPaths.Root(), "src", "Neo.Cli", "EmbeddedModels", "styled-teacher-bytelevel");
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(folder, "tokenizer.json")), EmbeddedTask.CreateByteLevelTokenizer().Files["tokenizer.json"]);
    }
}
