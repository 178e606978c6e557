using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// The tokenizer of a Hugging Face folder: a SentencePiece <c>tokenizer.model</c> read by Microsoft.ML.Tokenizers'
/// <see cref="LlamaTokenizer"/>. The raw file is kept so a model zip can carry it.
/// </summary>
public sealed class TokenizerFiles
{
    public const string SentencePieceFile = "tokenizer.model";

    private TokenizerFiles(byte[] sentencePieceModel, LlamaTokenizer tokenizer)
    {
        SentencePieceModel = sentencePieceModel;
        Tokenizer = tokenizer;
    }

    /// <summary>The bytes of <c>tokenizer.model</c>.</summary>
    public byte[] SentencePieceModel { get; }

    /// <summary>The tokenizer built from them. Adds BOS when encoding, never EOS.</summary>
    public LlamaTokenizer Tokenizer { get; }

    /// <summary>Loads the folder's tokenizer, or returns null when it has no tokenizer files.</summary>
    public static TokenizerFiles? TryLoad(string directory)
    {
        string path = Path.Combine(directory, SentencePieceFile);
        return File.Exists(path) ? FromBytes(File.ReadAllBytes(path), path) : null;
    }

    public static TokenizerFiles FromBytes(byte[] sentencePieceModel, string source = "tokenizer.model")
    {
        try
        {
            using var stream = new MemoryStream(sentencePieceModel, writable: false);
            return new TokenizerFiles(sentencePieceModel, LlamaTokenizer.Create(stream, addBeginOfSentence: true, addEndOfSentence: false));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{source}' is not a SentencePiece model Microsoft.ML.Tokenizers can read: {e.Message}", e);
        }
    }

    public void SaveTo(string directory) => File.WriteAllBytes(Path.Combine(directory, SentencePieceFile), SentencePieceModel);

    /// <summary>True when both tokenizers map every piece to the same id.</summary>
    public bool HasSameVocabularyAs(TokenizerFiles other)
    {
        var mine = Tokenizer.Vocabulary;
        var theirs = other.Tokenizer.Vocabulary;
        return mine.Count == theirs.Count && mine.All(p => theirs.TryGetValue(p.Key, out int id) && id == p.Value);
    }
}
