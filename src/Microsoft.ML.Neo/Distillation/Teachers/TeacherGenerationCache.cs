using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// A file-backed cache of teacher generations (sequence-level KD), so repeated runs and sweeps do not run the teacher
/// again. One JSON line per generation, <c>{"key":"&lt;sha256&gt;","ids":[...]}</c>, appended and flushed as each is made,
/// so nothing is lost when a run dies. Opening the cache reads only the keys and their file offsets; a generation is
/// read from disk when asked for, so the file is never loaded whole. The key covers the teacher's files, the teacher's
/// prompt tokens and the generation settings, so a changed teacher or prompt misses instead of returning stale text.
/// </summary>
internal sealed class TeacherGenerationCache : IDisposable
{
    public const string FileName = "teacher-generations.jsonl";
    private const string KeyPrefix = "{\"key\":\"";
    private const int KeyLength = 64; // hex SHA-256

    private readonly FileStream file;
    private readonly Dictionary<string, long> offsets = new(StringComparer.Ordinal);

    public TeacherGenerationCache(string directory)
    {
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(directory, FileName);
        file = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        long complete;
        try { complete = IndexLines(); }
        catch
        {
            file.Dispose();
            throw;
        }
        // A line cut short by a crash is dropped; the next append starts after the last complete line.
        file.SetLength(complete);
    }

    public string Path { get; }

    public int Count => offsets.Count;

    public int Hits { get; private set; }

    public int Misses { get; private set; }

    public bool TryGet(string key, out int[] ids)
    {
        if (!offsets.TryGetValue(key, out long offset))
        {
            Misses++;
            ids = Array.Empty<int>();
            return false;
        }
        file.Position = offset;
        using var line = new MemoryStream();
        for (int b; (b = file.ReadByte()) is >= 0 and not '\n';) line.WriteByte((byte)b);
        ids = Integrity.FileReading.Guard(Path, Integrity.FileReading.Fixes.TeacherCache, () =>
        {
            using var json = JsonDocument.Parse(line.ToArray());
            return json.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        }, entry: $"the record at byte {offset}");
        Hits++;
        return true;
    }

    public void Add(string key, IReadOnlyList<int> ids)
    {
        if (offsets.ContainsKey(key)) return;
        long offset = file.Length;
        file.Position = offset;
        var line = Encoding.UTF8.GetBytes($"{KeyPrefix}{key}\",\"ids\":[{string.Join(',', ids)}]}}\n");
        file.Write(line);
        file.Flush(flushToDisk: true);
        offsets[key] = offset;
    }

    /// <summary>The cache key of one generation: teacher, prompt tokens, settings.</summary>
    public static string Key(string teacherFingerprint, IReadOnlyList<int> promptIds, int maxNewTokens, IEnumerable<int> stopIds)
    {
        var text = $"{teacherFingerprint}|{string.Join(',', promptIds)}|{maxNewTokens}|{string.Join(',', stopIds.Order())}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    // Records each complete line's key and offset; returns the length of the complete lines.
    private long IndexLines()
    {
        file.Position = 0;
        var buffer = new byte[1 << 16];
        long lineStart = 0, position = 0;
        var head = new List<byte>(KeyPrefix.Length + KeyLength);
        int read;
        while ((read = file.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (int i = 0; i < read; i++, position++)
            {
                if (buffer[i] == '\n')
                {
                    var text = Encoding.ASCII.GetString(head.ToArray());
                    if (text.Length == KeyPrefix.Length + KeyLength && text.StartsWith(KeyPrefix, StringComparison.Ordinal))
                        offsets[text[KeyPrefix.Length..]] = lineStart;
                    else
                        throw new UnreadableFileException(Path, $"it is not a teacher generation cache (the line at byte {lineStart} does not start with a record key)",
                            Integrity.FileReading.Fixes.TeacherCache);
                    head.Clear();
                    lineStart = position + 1;
                }
                else if (head.Count < KeyPrefix.Length + KeyLength)
                {
                    head.Add(buffer[i]);
                }
            }
        }
        return lineStart;
    }

    public void Dispose() => file.Dispose();
}
