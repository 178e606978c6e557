using SentencePieceNormalizer = Microsoft.ML.Neo.Tokenization.SentencePieceNormalizer;
using Microsoft.ML.Neo.Tokenization;
using Microsoft.ML.Tokenizers;

namespace Microsoft.ML.Neo;

/// <summary>
/// The tokenizer of a Hugging Face folder, built with Microsoft.ML.Tokenizers from whichever file the folder has:
/// <c>tokenizer.json</c> (preferred, as transformers prefers the fast tokenizer), else <c>tokenizer.model</c>
/// (SentencePiece or Llama 3's tiktoken format). BOS, EOS, pad and unknown tokens, and whether BOS is added, come from
/// <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>, then from the tokenizer file itself, then from
/// <c>generation_config.json</c>'s ids. The raw files are kept so exports and model zips carry them unchanged.
/// </summary>
public sealed class TokenizerFiles
{
    public const string SentencePieceFile = "tokenizer.model";

    /// <summary>Every file that can describe a tokenizer; the ones a folder has are loaded and saved together.</summary>
    public static readonly IReadOnlyList<string> FileNames = new[]
    {
        TokenizerJson.FileName, SentencePieceFile, SpecialTokenSettings.ConfigFile, SpecialTokenSettings.MapFile,
    };

    private readonly IReadOnlyDictionary<string, int> vocabulary;
    private readonly IReadOnlyDictionary<string, int> addedTokens;
    private readonly PretrainedTokenizer withoutBeginningOfSequence;

    private TokenizerFiles(IReadOnlyDictionary<string, byte[]> files, LoadedTokenizer loaded, SpecialTokenSettings settings,
        GenerationConfig? generation)
    {
        Files = files;
        Kind = loaded.Kind;
        vocabulary = loaded.Vocabulary;
        addedTokens = loaded.AddedTokens;
        VocabularySize = Math.Max(vocabulary.Values.DefaultIfEmpty(-1).Max(), addedTokens.Values.DefaultIfEmpty(-1).Max()) + 1;

        string? bos = settings.Bos ?? loaded.TemplateBos;
        BeginningOfSequenceId = IdOf(bos, "bos_token") ?? generation?.BosTokenId;
        EndOfSequenceId = IdOf(settings.Eos, "eos_token") ?? FirstOrNull(generation?.EosTokenIds) ?? IdOf(loaded.DefaultEos, "eos_token");
        PaddingId = IdOf(settings.Pad, "pad_token") ?? generation?.PadTokenId;
        UnknownId = IdOf(settings.Unk ?? loaded.UnknownToken, "unk_token");
        // transformers' Llama tokenizers default add_bos_token to true; others add BOS when their post-processor does.
        bool addsBos = BeginningOfSequenceId is not null && (settings.AddBos ?? (loaded.Kind switch
        {
            TokenizerKind.SentencePiece or TokenizerKind.Tiktoken => true,
            _ => loaded.TemplateBos is not null,
        }));
        Tokenizer = new PretrainedTokenizer(loaded.Tokenizer, BeginningOfSequenceId, bos, addsBos);
        withoutBeginningOfSequence = Tokenizer.WithBeginningOfSequence(false);
    }

    /// <summary>The raw bytes of each tokenizer file the folder had, by file name.</summary>
    public IReadOnlyDictionary<string, byte[]> Files { get; }

    /// <summary>Which file the tokenizer was built from.</summary>
    public TokenizerKind Kind { get; }

    /// <summary>
    /// The Microsoft.ML.Tokenizers tokenizer. Like transformers' tokenizers and ML.NET's <c>LlamaTokenizer</c>, it
    /// starts each encoding with BOS when <see cref="AddsBeginningOfSequence"/>;
    /// <see cref="PretrainedTokenizer.WithBeginningOfSequence"/> overrides that.
    /// </summary>
    public PretrainedTokenizer Tokenizer { get; }

    /// <summary>One more than the largest token id, added tokens included.</summary>
    public int VocabularySize { get; }

    public int? BeginningOfSequenceId { get; }

    public int? EndOfSequenceId { get; }

    /// <summary>The pad token's id, or null when the folder names none (training then pads with EOS).</summary>
    public int? PaddingId { get; }

    public int? UnknownId { get; }

    /// <summary>Whether encoding a prompt starts with BOS (tokenizer_config.json's <c>add_bos_token</c>, or the file's default).</summary>
    public bool AddsBeginningOfSequence => Tokenizer.AddsBeginningOfSequence;

    /// <summary>
    /// Encodes text as transformers does with <c>add_special_tokens</c>: BOS first when the folder adds it (and
    /// <paramref name="addBeginningOfSequence"/> is true). Special tokens written in the text become their ids.
    /// </summary>
    public int[] Encode(string text, bool addBeginningOfSequence = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return (addBeginningOfSequence ? Tokenizer : withoutBeginningOfSequence).EncodeToIds(text).ToArray();
    }

    /// <summary>Decodes ids to text; special tokens among them (BOS included) are written out.</summary>
    public string Decode(IEnumerable<int> ids) => Tokenizer.Inner.Decode(ids) ?? "";

    /// <summary>
    /// The text each token adds to the decoded sequence, in context: the pieces join into the sequence's decoded text,
    /// spaces included (a SentencePiece "▁Max" after other tokens adds " Max", where decoding it alone gives "Max").
    /// A token that ends in the middle of a character (byte-level pieces of one UTF-8 sequence) adds "" and the token
    /// that completes the character adds all of it. Decodes a window of a few tokens per token, as serving engines do.
    /// </summary>
    public string[] TokenTexts(IReadOnlyList<int> ids)
    {
        const int Context = 6; // tokens decoded before the pending ones, enough to fix a piece's leading space
        var texts = new string[ids.Count];
        int pending = 0; // the first token whose text has not been given out yet
        for (int i = 0; i < ids.Count; i++)
        {
            int start = Math.Max(0, pending - Context);
            string before = Decode(Slice(ids, start, pending));
            string with = Decode(Slice(ids, start, i + 1));
            if (with.EndsWith('\uFFFD') && i < ids.Count - 1)
            {
                texts[i] = ""; // an incomplete character: the next token completes it
                continue;
            }
            texts[i] = with.StartsWith(before, StringComparison.Ordinal) ? with[before.Length..] : Decode(Slice(ids, pending, i + 1));
            pending = i + 1;
        }
        return texts;
    }

    private static IEnumerable<int> Slice(IReadOnlyList<int> ids, int start, int end)
    {
        for (int i = start; i < end; i++) yield return ids[i];
    }

    /// <summary>Loads the folder's tokenizer, or returns null when it has neither tokenizer.json nor tokenizer.model.</summary>
    public static TokenizerFiles? TryLoad(string directory) => TryLoad(directory, GenerationConfig.TryLoad(directory));

    /// <param name="generation">The folder's generation_config.json, already read (its ids are the last fallback for BOS, EOS and pad).</param>
    internal static TokenizerFiles? TryLoad(string directory, GenerationConfig? generation)
    {
        var files = FileNames.Where(name => File.Exists(Path.Combine(directory, name)))
            .ToDictionary(name => name, name => File.ReadAllBytes(Path.Combine(directory, name)));
        if (!files.ContainsKey(TokenizerJson.FileName) && !files.ContainsKey(SentencePieceFile)) return null;
        return FromFiles(files, directory, generation);
    }

    /// <summary>What a model loaded without its unreadable tokenizer says (also traced as a warning).</summary>
    internal static string UnreadableWarning(Exception error)
    {
        string warning = $"{error.Message} The model loads without a tokenizer: logits from token ids work, text in and out does not.";
        System.Diagnostics.Trace.TraceWarning(warning);
        return warning;
    }

    /// <summary>Builds the tokenizer from file contents (by file name), as a folder or a model zip holds them.</summary>
    /// <param name="source">Where the files came from, for error messages.</param>
    public static TokenizerFiles FromFiles(IReadOnlyDictionary<string, byte[]> files, string source,
        GenerationConfig? generation = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        // Each file is read under its own name, so a damaged one is named in the error.
        bool inFolder = Directory.Exists(source);
        string fix = inFolder ? Integrity.FileReading.Fixes.ModelFolder : Integrity.FileReading.Fixes.ModelZip;
        T Read<T>(string file, Func<T> read)
        {
            return inFolder
                ? Integrity.FileReading.Guard(Path.Combine(source, file), fix, read)
                : Integrity.FileReading.Guard(source, fix, read, entry: file);
        }
        var settings = SpecialTokenSettings.Read(files, Read);
        LoadedTokenizer loaded;
        if (files.TryGetValue(TokenizerJson.FileName, out var json))
            loaded = Read(TokenizerJson.FileName, () => TokenizerJson.Load(json));
        else if (files.TryGetValue(SentencePieceFile, out var model))
            loaded = Read(SentencePieceFile, () => TiktokenModel.Recognizes(model)
                ? TiktokenModel.Load(model, Read(SpecialTokenSettings.ConfigFile, () => SpecialTokenSettings.AddedTokens(files)))
                : LoadSentencePiece(model));
        else
            throw new InvalidDataException($"The tokenizer in '{source}' cannot be read: there is no {TokenizerJson.FileName} or {SentencePieceFile}.");
        return Read(SpecialTokenSettings.ConfigFile, () => new TokenizerFiles(files, loaded, settings, generation));
    }

    /// <summary>A tokenizer from the bytes of a SentencePiece <c>tokenizer.model</c> alone.</summary>
    public static TokenizerFiles FromBytes(byte[] sentencePieceModel, string source = SentencePieceFile) =>
        FromFiles(new Dictionary<string, byte[]> { [SentencePieceFile] = sentencePieceModel }, source);

    /// <summary>Writes every tokenizer file this tokenizer was built from.</summary>
    public void SaveTo(string directory)
    {
        foreach (var (name, bytes) in Files) File.WriteAllBytes(Path.Combine(directory, name), bytes);
    }

    /// <summary>True when both tokenizers map every token, added tokens included, to the same id.</summary>
    public bool HasSameVocabularyAs(TokenizerFiles other)
    {
        ArgumentNullException.ThrowIfNull(other);
        static bool Same(IReadOnlyDictionary<string, int> a, IReadOnlyDictionary<string, int> b) =>
            a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out int id) && id == p.Value);
        return Same(vocabulary, other.vocabulary) && Same(addedTokens, other.addedTokens);
    }

    // BPE models (every Llama-family one) and Unigram models (sentencepiece's default), both normalized by the model's
    // own rules: precompiled charsmap (nmt_nfkc, nfkc_cf, identity, ...) and whitespace settings.
    private static LoadedTokenizer LoadSentencePiece(byte[] model)
    {
        var contents = SentencePieceModelContents.Read(model);
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < contents.Pieces.Count; id++)
        {
            var piece = contents.Pieces[id];
            vocabulary.TryAdd(piece.Text, id);
            if (piece.Type is SentencePieceType.Control or SentencePieceType.Unknown or SentencePieceType.UserDefined) specials.TryAdd(piece.Text, id);
        }
        string? Text(int id) => id >= 0 && id < contents.Pieces.Count ? contents.Pieces[id].Text : null;

        if (contents.TreatWhitespaceAsSuffix)
            throw new InvalidDataException($"'{SentencePieceFile}': trainer_spec.treat_whitespace_as_suffix is true (supported: false).");
        var normalizer = new SentencePieceNormalizer(PrecompiledCharsMap.Read(contents.PrecompiledCharsMap),
            contents.AddDummyPrefix ? SentencePieceNormalizer.PrefixScheme.Always : SentencePieceNormalizer.PrefixScheme.Never,
            contents.RemoveExtraWhitespaces, contents.EscapeWhitespaces);
        int? unknownId = contents.UnknownId >= 0 ? contents.UnknownId : null;
        Tokenizer tokenizer = contents.ModelType switch
        {
            SentencePieceModelContents.Bpe => SentencePieceBpeTokenizer.FromScores(contents.Pieces, specials, unknownId, contents.ByteFallback, normalizer),
            SentencePieceModelContents.Unigram => new SentencePieceUnigramTokenizer(contents.Pieces, specials, unknownId, contents.ByteFallback, normalizer),
            _ => throw new InvalidDataException($"'{SentencePieceFile}': trainer_spec.model_type is {contents.ModelType} " +
                "(supported: 1 Unigram, 2 BPE; word and char models are not)."),
        };
        return new LoadedTokenizer(tokenizer, TokenizerKind.SentencePiece, vocabulary, specials,
            TemplateBos: Text(contents.BosId), UnknownToken: Text(contents.UnknownId), DefaultEos: Text(contents.EosId));
    }

    private static int? FirstOrNull(IReadOnlyList<int>? ids) => ids is { Count: > 0 } ? ids[0] : null;

    private int? IdOf(string? token, string key)
    {
        if (token is null) return null;
        if (addedTokens.TryGetValue(token, out int id) || vocabulary.TryGetValue(token, out id)) return id;
        throw new InvalidDataException($"{key} '{token}' is not in the vocabulary.");
    }
}
