namespace Microsoft.ML.Neo.Data.Synthetic;

/// <summary>The tokenizer of the quickstart's embedded models, made for the synthetic word problems.</summary>
public static class EmbeddedTask
{
    /// <summary>The SentencePiece tokenizer of the synthetic task: characters, byte fallback, and one piece per template word.</summary>
    public static TokenizerFiles CreateTokenizer() =>
        TokenizerFiles.FromBytes(SentencePieceModelBuilder.BuildForWords(
            ArithmeticWordProblems.Characters(), ArithmeticWordProblems.Vocabulary()), "embedded tokenizer");
}
