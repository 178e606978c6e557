using Google.Protobuf;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>The parts of a SentencePiece <c>tokenizer.model</c> (sentencepiece_model.proto) that encoding needs.</summary>
internal sealed record SentencePieceModelContents(
    IReadOnlyList<SentencePiece> Pieces, int ModelType, bool ByteFallback, int UnknownId, int BosId, int EosId,
    byte[] PrecompiledCharsMap, bool AddDummyPrefix, bool RemoveExtraWhitespaces, bool EscapeWhitespaces,
    bool TreatWhitespaceAsSuffix)
{
    /// <summary>trainer_spec.model_type's values: 1 Unigram (the default), 2 BPE, 3 word, 4 char.</summary>
    public const int Unigram = 1, Bpe = 2;

    public static SentencePieceModelContents Read(byte[] bytes)
    {
        var pieces = new List<SentencePiece>();
        // proto2 defaults of the fields read below.
        int modelType = 1, unk = 0, bos = 1, eos = 2;
        bool byteFallback = false, addDummyPrefix = true, removeExtra = true, escape = true, suffix = false;
        byte[] charsMap = Array.Empty<byte>();
        try
        {
            var input = new CodedInputStream(bytes);
            for (uint tag; (tag = input.ReadTag()) != 0;)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: pieces.Add(ReadPiece(input.ReadBytes())); break;
                    case 2:
                        ForEachField(input.ReadBytes(), (field, stream) =>
                        {
                            switch (field)
                            {
                                case 3: modelType = stream.ReadEnum(); return true;
                                case 24: suffix = stream.ReadBool(); return true;
                                case 35: byteFallback = stream.ReadBool(); return true;
                                case 40: unk = stream.ReadInt32(); return true;
                                case 41: bos = stream.ReadInt32(); return true;
                                case 42: eos = stream.ReadInt32(); return true;
                                default: return false;
                            }
                        });
                        break;
                    case 3:
                        ForEachField(input.ReadBytes(), (field, stream) =>
                        {
                            switch (field)
                            {
                                case 2: charsMap = stream.ReadBytes().ToByteArray(); return true;
                                case 3: addDummyPrefix = stream.ReadBool(); return true;
                                case 4: removeExtra = stream.ReadBool(); return true;
                                case 5: escape = stream.ReadBool(); return true;
                                default: return false;
                            }
                        });
                        break;
                    default: input.SkipLastField(); break;
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'tokenizer.model' is neither a SentencePiece model nor a tiktoken file: {e.Message}", e);
        }
        if (pieces.Count == 0) throw new InvalidDataException("'tokenizer.model' has no pieces; it is not a SentencePiece model.");
        return new SentencePieceModelContents(pieces, modelType, byteFallback, unk, bos, eos, charsMap, addDummyPrefix, removeExtra,
            escape, suffix);
    }

    private static SentencePiece ReadPiece(ByteString message)
    {
        string text = "";
        float score = 0;
        var type = SentencePieceType.Normal;
        ForEachField(message, (field, stream) =>
        {
            switch (field)
            {
                case 1: text = stream.ReadString(); return true;
                case 2: score = stream.ReadFloat(); return true;
                case 3: type = (SentencePieceType)stream.ReadEnum(); return true;
                default: return false;
            }
        });
        return new SentencePiece(text, score, type);
    }

    // Calls read for each field of a nested message; fields it does not read (returns false) are skipped.
    private static void ForEachField(ByteString message, Func<int, CodedInputStream, bool> read)
    {
        var stream = message.CreateCodedInput();
        for (uint tag; (tag = stream.ReadTag()) != 0;)
        {
            if (!read(WireFormat.GetTagFieldNumber(tag), stream)) stream.SkipLastField();
        }
    }
}
