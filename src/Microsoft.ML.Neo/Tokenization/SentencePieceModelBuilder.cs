using Microsoft.ML.Neo.Tokenization;
using Google.Protobuf;

namespace Microsoft.ML.Neo;

/// <summary>
/// Writes a SentencePiece BPE <c>tokenizer.model</c> in Llama's layout: &lt;unk&gt;=0, &lt;s&gt;=1, &lt;/s&gt;=2, the 256 byte
/// pieces &lt;0x00&gt;..&lt;0xFF&gt; (byte fallback), then the given pieces. Used for the embedded quickstart models, whose
/// vocabulary is made for the synthetic task.
/// </summary>
internal static class SentencePieceModelBuilder
{
    // Field numbers and enum values of sentencepiece_model.proto.
    private const int PiecesField = 1, TrainerSpecField = 2, NormalizerSpecField = 3;
    private const int PieceTextField = 1, PieceScoreField = 2, PieceTypeField = 3;
    private const int ModelTypeField = 3, VocabSizeField = 4, ByteFallbackField = 35;
    private const int UnkIdField = 40, BosIdField = 41, EosIdField = 42, PadIdField = 43;
    private const int NormalizerNameField = 1, AddDummyPrefixField = 3, RemoveExtraWhitespacesField = 4, EscapeWhitespacesField = 5;

    /// <summary>The whitespace marker SentencePiece substitutes for spaces.</summary>
    public const char WhitespaceMarker = '\u2581';

    /// <summary>
    /// Builds a BPE model whose pieces are every character of <paramref name="words"/> and every prefix of each word
    /// longer than one character, so BPE merges each listed word into one token from left to right. Spaces in words
    /// are written as <see cref="WhitespaceMarker"/>. Digits are kept as single characters.
    /// </summary>
    public static byte[] BuildForWords(IEnumerable<string> characters, IEnumerable<string> words)
    {
        var pieces = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string piece)
        {
            if (seen.Add(piece)) pieces.Add(piece);
        }

        foreach (var c in characters) Add(c.Replace(' ', WhitespaceMarker));
        foreach (var word in words.Select(w => w.Replace(' ', WhitespaceMarker)))
        {
            foreach (var c in word) Add(c.ToString());
            if (word.Any(char.IsDigit)) continue;
            for (int length = 2; length <= word.Length; length++) Add(word[..length]);
        }
        return Build(pieces);
    }

    /// <summary>Builds a BPE model from normal pieces, highest merge priority first.</summary>
    public static byte[] Build(IReadOnlyList<string> normalPieces)
    {
        var pieces = new List<SentencePiece>
        {
            new("<unk>", 0, SentencePieceType.Unknown),
            new("<s>", 0, SentencePieceType.Control),
            new("</s>", 0, SentencePieceType.Control),
        };
        for (int b = 0; b < 256; b++) pieces.Add(new($"<0x{b:X2}>", 0, SentencePieceType.Byte));
        // Scores rank merges: earlier pieces win, as in a trained model.
        for (int i = 0; i < normalPieces.Count; i++) pieces.Add(new(normalPieces[i], -i, SentencePieceType.Normal));
        return Build(pieces, unknownId: 0, bosId: 1, eosId: 2, byteFallback: true, addDummyPrefix: true);
    }

    /// <summary>
    /// Builds a BPE model from pieces in id order. SentencePiece's BPE merges the adjacent pair whose joined piece has
    /// the highest score. An id of -1 means the model has no such token.
    /// </summary>
    /// <param name="modelType">trainer_spec.model_type: <see cref="SentencePieceModelContents.Bpe"/> or <see cref="SentencePieceModelContents.Unigram"/>.</param>
    internal static byte[] Build(IReadOnlyList<SentencePiece> pieces, int unknownId, int bosId, int eosId, bool byteFallback, bool addDummyPrefix,
        int modelType = SentencePieceModelContents.Bpe)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        foreach (var piece in pieces)
        {
            output.WriteTag(PiecesField, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(Message(o =>
            {
                o.WriteTag(PieceTextField, WireFormat.WireType.LengthDelimited);
                o.WriteString(piece.Text);
                o.WriteTag(PieceScoreField, WireFormat.WireType.Fixed32);
                o.WriteFloat(piece.Score);
                o.WriteTag(PieceTypeField, WireFormat.WireType.Varint);
                o.WriteEnum((int)piece.Type);
            }));
        }

        output.WriteTag(TrainerSpecField, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Message(o =>
        {
            o.WriteTag(ModelTypeField, WireFormat.WireType.Varint); o.WriteEnum(modelType);
            o.WriteTag(VocabSizeField, WireFormat.WireType.Varint); o.WriteInt32(pieces.Count);
            o.WriteTag(ByteFallbackField, WireFormat.WireType.Varint); o.WriteBool(byteFallback);
            o.WriteTag(UnkIdField, WireFormat.WireType.Varint); o.WriteInt32(unknownId);
            o.WriteTag(BosIdField, WireFormat.WireType.Varint); o.WriteInt32(bosId);
            o.WriteTag(EosIdField, WireFormat.WireType.Varint); o.WriteInt32(eosId);
            o.WriteTag(PadIdField, WireFormat.WireType.Varint); o.WriteInt32(-1);
        }));
        output.WriteTag(NormalizerSpecField, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Message(o =>
        {
            o.WriteTag(NormalizerNameField, WireFormat.WireType.LengthDelimited); o.WriteString("identity");
            o.WriteTag(AddDummyPrefixField, WireFormat.WireType.Varint); o.WriteBool(addDummyPrefix);
            o.WriteTag(RemoveExtraWhitespacesField, WireFormat.WireType.Varint); o.WriteBool(false);
            o.WriteTag(EscapeWhitespacesField, WireFormat.WireType.Varint); o.WriteBool(true);
        }));
        output.Flush();
        return buffer.ToArray();
    }

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return ByteString.CopyFrom(buffer.ToArray());
    }
}

/// <summary>Piece types of sentencepiece_model.proto, with their wire values.</summary>
internal enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Byte = 6,
}

internal readonly record struct SentencePiece(string Text, float Score, SentencePieceType Type);
