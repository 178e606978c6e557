using System.Security.Cryptography;
using System.Text;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// A file-backed cache of teacher scores for logit KD: for each response position of an example, the teacher's top-K
/// token ids and logits. Records are appended to <c>teacher-scores.bin</c> and flushed one example at a time, so a run
/// that dies keeps what it scored. Opening the cache reads only each record's key and length; a record is read from disk
/// when its batch is trained, so the file is never loaded whole.
/// <para>
/// Format 2 (written now): a 16-byte header (<c>NEOSCORE</c>, int32 version 2, int32 bits per value: 10 for the compact
/// encoding, 32 for the exact one), then records of a 32-byte key (SHA-256 of the teacher's files, its token ids, the
/// response start and K), int32 positions, int32 K, int32 payload length and the payload of <see cref="TopKCodec"/>.
/// Format 1 (no header; earlier versions of this library) is read and extended in its own layout: a record is the key,
/// int32 positions, int32 K, then positions × K int32 ids and positions × K float32 logits. All little-endian.
/// </para>
/// </summary>
internal sealed class TeacherScoreCache : IDisposable
{
    public const string FileName = "teacher-scores.bin";
    private const int KeyBytes = 32, LegacyHeaderBytes = KeyBytes + 8, RecordHeaderBytes = KeyBytes + 12, FileHeaderBytes = 16;
    private static readonly byte[] Magic = "NEOSCORE"u8.ToArray();

    private readonly FileStream file;
    private readonly Dictionary<string, long> offsets = new(StringComparer.Ordinal);

    /// <param name="valueBits">For a new cache: <see cref="TopKCodec.CompactBits"/> or <see cref="TopKCodec.ExactBits"/>.
    /// An existing cache keeps the encoding it was made with.</param>
    public TeacherScoreCache(string directory, int valueBits = TopKCodec.CompactBits)
    {
        if (valueBits is not (>= 2 and <= 16 or TopKCodec.ExactBits))
            throw new ArgumentOutOfRangeException(nameof(valueBits), valueBits, $"Use 2 to 16 bits (compact) or {TopKCodec.ExactBits} (exact).");
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(directory, FileName);
        file = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            // A record cut short by a crash is dropped; anything else that is not a record stops here, naming the file.
            file.SetLength(Integrity.FileReading.Guard(Path, Integrity.FileReading.Fixes.TeacherCache, () => Open(valueBits)));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public string Path { get; }

    public int Hits { get; private set; }

    /// <summary>How many examples the cache holds.</summary>
    public int Count => offsets.Count;

    /// <summary>1 for a cache written by earlier versions (4-byte ids, float32 logits), 2 for the packed format.</summary>
    public int Version { get; private set; }

    /// <summary>Bits per cached value: 10 (compact), 32 (exact float32, and every version-1 cache).</summary>
    public int ValueBits { get; private set; }

    /// <summary>The encoding in words, for progress lines.</summary>
    public string Encoding => Version == 1 ? "format 1, uncompressed" : ValueBits == TopKCodec.ExactBits ? "exact float32 logits, packed ids" : $"{ValueBits}-bit logits, packed ids";

    public bool Contains(string key) => offsets.ContainsKey(key);

    public static string Key(string teacherFingerprint, int[] teacherTokenIds, int responseStart, int topK) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{teacherFingerprint}|{string.Join(',', teacherTokenIds)}|{responseStart}|{topK}")));

    /// <summary>Appends one example's scores: <paramref name="ids"/> and <paramref name="logits"/> are positions × K, row-major, best first.</summary>
    public void Add(string key, int positions, int topK, int[] ids, float[] logits)
    {
        if (offsets.ContainsKey(key)) return;
        if (ids.Length != positions * topK || logits.Length != positions * topK) throw new ArgumentException("Scores must be positions × K.");
        long offset = file.Length;
        file.Position = offset;
        using (var writer = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Convert.FromHexString(key));
            writer.Write(positions);
            writer.Write(topK);
            if (Version == 1)
            {
                foreach (int id in ids) writer.Write(id);
                foreach (float value in logits) writer.Write(value);
            }
            else
            {
                var payload = TopKCodec.Encode(positions, topK, ids, logits, ValueBits);
                writer.Write(payload.Length);
                writer.Write(payload);
            }
        }
        file.Flush(flushToDisk: true);
        offsets[key] = offset;
    }

    /// <summary>Reads one example's scores (positions × K ids and logits, best first).</summary>
    public (int Positions, int TopK, int[] Ids, float[] Logits) Read(string key)
    {
        if (!offsets.TryGetValue(key, out long offset)) throw new KeyNotFoundException($"The teacher score cache '{Path}' has no record {key}.");
        var record = Integrity.FileReading.Guard(Path, Integrity.FileReading.Fixes.TeacherCache, () => ReadAt(offset));
        Hits++;
        return record;
    }

    private (int Positions, int TopK, int[] Ids, float[] Logits) ReadAt(long offset)
    {
        file.Position = offset + KeyBytes;
        using var reader = new BinaryReader(file, System.Text.Encoding.UTF8, leaveOpen: true);
        int positions = reader.ReadInt32(), topK = reader.ReadInt32();
        var ids = new int[positions * topK];
        var logits = new float[positions * topK];
        if (Version == 1)
        {
            for (int i = 0; i < ids.Length; i++) ids[i] = reader.ReadInt32();
            for (int i = 0; i < logits.Length; i++) logits[i] = reader.ReadSingle();
        }
        else
        {
            var payload = reader.ReadBytes(reader.ReadInt32());
            TopKCodec.Decode(payload, positions, topK, ValueBits, ids, logits);
        }
        return (positions, topK, ids, logits);
    }

    // Reads or writes the file header, then walks the record headers; returns the length of the complete records.
    private long Open(int valueBits)
    {
        long length = file.Length;
        var start = new byte[Math.Min(length, FileHeaderBytes)];
        file.Position = 0;
        file.ReadExactly(start);
        bool header = start.Length >= Magic.Length ? start.AsSpan(0, Magic.Length).SequenceEqual(Magic) : Magic.AsSpan(0, start.Length).SequenceEqual(start);
        if (length < FileHeaderBytes && (length == 0 || header)) return StartNew(valueBits); // new, or its header cut short by a crash
        if (!header)
        {
            (Version, ValueBits) = (1, TopKCodec.ExactBits);
            offsets.Clear();
            long end = Index(0, LegacyHeaderBytes, (positions, topK, _) => 8L * positions * topK);
            return end > 0 ? end : StartNew(valueBits); // not one whole record: nothing to keep
        }
        int version = BitConverter.ToInt32(start, 8), bits = BitConverter.ToInt32(start, 12);
        if (version != 2) throw new InvalidDataException($"it is a teacher score cache of format {version}, which this version of the library does not read");
        if (bits is not (>= 2 and <= 16 or TopKCodec.ExactBits)) throw new InvalidDataException($"its header claims {bits} bits per value");
        (Version, ValueBits) = (2, bits);
        return Index(FileHeaderBytes, RecordHeaderBytes, (positions, topK, payload) =>
            payload < 0 || payload > (long)positions * (topK * 16L + 8) ? throw new InvalidDataException($"a record claims a payload of {payload} bytes") : payload);
    }

    private long StartNew(int valueBits)
    {
        file.SetLength(0);
        using (var writer = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(2);
            writer.Write(valueBits);
        }
        file.Flush(flushToDisk: true);
        (Version, ValueBits) = (2, valueBits);
        return FileHeaderBytes;
    }

    // Walks records from `position`: each has a header of `headerBytes` and a body whose length `bodyBytes` gives
    // (from positions, K and, in format 2, the payload length). Returns the end of the last complete record.
    private long Index(long position, int headerBytes, Func<int, int, int, long> bodyBytes)
    {
        long length = file.Length;
        var header = new byte[headerBytes];
        while (position + headerBytes <= length)
        {
            file.Position = position;
            file.ReadExactly(header);
            int positions = BitConverter.ToInt32(header, KeyBytes), topK = BitConverter.ToInt32(header, KeyBytes + 4);
            if (positions < 0 || topK <= 0 || topK > 1 << 20)
                throw new InvalidDataException($"it is not a teacher score cache (the record at byte {position} claims {positions} positions of {topK} scores)");
            long end = position + headerBytes + bodyBytes(positions, topK, headerBytes > KeyBytes + 8 ? BitConverter.ToInt32(header, KeyBytes + 8) : 0);
            if (end > length) break;
            offsets[Convert.ToHexStringLower(header.AsSpan(0, KeyBytes))] = position;
            position = end;
        }
        return position;
    }

    public void Dispose() => file.Dispose();
}
