using System.Security.Cryptography;
using System.Text;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// A file-backed cache of teacher scores for logit KD: for each response position of an example, the teacher's top-K
/// token ids and logits. Records are appended to <c>teacher-scores.bin</c> and flushed one example at a time, so a run
/// that dies keeps what it scored. Opening the cache reads only each record's key and length; a record is read from disk
/// when its batch is trained, so the file is never loaded whole. Layout of a record: 32-byte key (SHA-256 of the
/// teacher's files, its token ids, the response start and K), int32 positions, int32 K, then positions × K int32 ids and
/// positions × K float32 logits, little-endian.
/// </summary>
internal sealed class TeacherScoreCache : IDisposable
{
    public const string FileName = "teacher-scores.bin";
    private const int KeyBytes = 32, HeaderBytes = KeyBytes + 8;

    private readonly FileStream file;
    private readonly Dictionary<string, long> offsets = new(StringComparer.Ordinal);

    public TeacherScoreCache(string directory)
    {
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(directory, FileName);
        file = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            // A record cut short by a crash is dropped; anything else that is not a record stops here, naming the file.
            file.SetLength(Integrity.FileReading.Guard(Path, Integrity.FileReading.Fixes.TeacherCache, Index));
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

    public bool Contains(string key) => offsets.ContainsKey(key);

    public static string Key(string teacherFingerprint, int[] teacherTokenIds, int responseStart, int topK) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{teacherFingerprint}|{string.Join(',', teacherTokenIds)}|{responseStart}|{topK}")));

    /// <summary>Appends one example's scores: <paramref name="ids"/> and <paramref name="logits"/> are positions × K, row-major.</summary>
    public void Add(string key, int positions, int topK, int[] ids, float[] logits)
    {
        if (offsets.ContainsKey(key)) return;
        if (ids.Length != positions * topK || logits.Length != positions * topK) throw new ArgumentException("Scores must be positions × K.");
        long offset = file.Length;
        file.Position = offset;
        using (var writer = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Convert.FromHexString(key));
            writer.Write(positions);
            writer.Write(topK);
            foreach (int id in ids) writer.Write(id);
            foreach (float value in logits) writer.Write(value);
        }
        file.Flush(flushToDisk: true);
        offsets[key] = offset;
    }

    /// <summary>Reads one example's scores (positions × K ids and logits).</summary>
    public (int Positions, int TopK, int[] Ids, float[] Logits) Read(string key)
    {
        if (!offsets.TryGetValue(key, out long offset)) throw new KeyNotFoundException($"The teacher score cache '{Path}' has no record {key}.");
        file.Position = offset + KeyBytes;
        using var reader = new BinaryReader(file, Encoding.UTF8, leaveOpen: true);
        int positions = reader.ReadInt32(), topK = reader.ReadInt32();
        var ids = new int[positions * topK];
        var logits = new float[positions * topK];
        for (int i = 0; i < ids.Length; i++) ids[i] = reader.ReadInt32();
        for (int i = 0; i < logits.Length; i++) logits[i] = reader.ReadSingle();
        Hits++;
        return (positions, topK, ids, logits);
    }

    // Walks the record headers; returns the length of the complete records.
    private long Index()
    {
        long position = 0, length = file.Length;
        var header = new byte[HeaderBytes];
        while (position + HeaderBytes <= length)
        {
            file.Position = position;
            file.ReadExactly(header);
            int positions = BitConverter.ToInt32(header, KeyBytes), topK = BitConverter.ToInt32(header, KeyBytes + 4);
            if (positions < 0 || topK <= 0 || topK > 1 << 20)
                throw new InvalidDataException($"it is not a teacher score cache (the record at byte {position} claims {positions} positions of {topK} scores)");
            long end = position + HeaderBytes + 8L * positions * topK;
            if (end > length) break;
            offsets[Convert.ToHexStringLower(header.AsSpan(0, KeyBytes))] = position;
            position = end;
        }
        return position;
    }

    public void Dispose() => file.Dispose();
}
