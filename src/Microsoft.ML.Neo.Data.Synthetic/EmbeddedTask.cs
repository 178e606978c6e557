namespace Microsoft.ML.Neo.Data.Synthetic;

/// <summary>The tokenizers of the quickstart's embedded models, made for the synthetic word problems.</summary>
public static class EmbeddedTask
{
    /// <summary>The SentencePiece tokenizer of the synthetic task: characters, byte fallback, and one piece per template word.</summary>
    public static TokenizerFiles CreateTokenizer() =>
        TokenizerFiles.FromBytes(SentencePieceModelBuilder.BuildForWords(
            ArithmeticWordProblems.Characters(), ArithmeticWordProblems.Vocabulary()), "embedded tokenizer");

    /// <summary>
    /// A tokenizer of another kind for the same task, for cross-tokenizer distillation: byte-level BPE in Llama 3's
    /// layout (<see cref="ByteLevelBpeBuilder.BuildForWords"/>: the 256 bytes, merges that build every template word with
    /// and without its leading space, then <c>&lt;|begin_of_text|&gt;</c> and <c>&lt;|end_of_text|&gt;</c>; numbers split
    /// into digits). It spells every text the SentencePiece tokenizer does, token boundaries and ids aside.
    /// </summary>
    public static TokenizerFiles CreateByteLevelTokenizer() => TokenizerFiles.FromFiles(
        ByteLevelBpeBuilder.BuildForWords(ArithmeticWordProblems.Vocabulary(), "<|begin_of_text|>", "<|end_of_text|>"), "embedded byte-level tokenizer");
}
