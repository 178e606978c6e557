using System.Security.Cryptography;
using System.Text.Json;

namespace Microsoft.ML.Neo.Integrity;

/// <summary>
/// SHA-256 digests of a stored file's payloads (a model zip's entries, a training checkpoint's files), recorded when it
/// is written and checked when it is read, so a bit flip or a truncated copy that kept the container intact is caught
/// instead of silently changing the model. SHA-256 because .NET computes it in hardware on every CPU it runs on here, at
/// several GB/s: checking a 500 MB student costs a fraction of a second next to loading it.
/// </summary>
internal sealed class PayloadChecksums
{
    private readonly SortedDictionary<string, string> digests = new(StringComparer.Ordinal);

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string Of(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    public void Record(string entry, ReadOnlySpan<byte> bytes) => digests[entry] = Of(bytes);

    public void Record(string entry, string digest) => digests[entry] = digest;

    public string ToJson() => JsonSerializer.Serialize(digests);

    /// <summary>Parses what <see cref="ToJson"/> wrote; damage to the record itself is reported like damage to the data.</summary>
    public static PayloadChecksums FromJson(string json)
    {
        var parsed = JsonSerializer.Deserialize<Dictionary<string, string>>(json)
            ?? throw new InvalidDataException("its checksum record is empty");
        var result = new PayloadChecksums();
        foreach (var (entry, digest) in parsed)
        {
            if (digest is null || digest.Length != 64 || !digest.All(Uri.IsHexDigit))
                throw new InvalidDataException($"its checksum record for '{entry}' is not a SHA-256 digest");
            result.digests[entry] = digest;
        }
        return result;
    }

    /// <summary>Throws when the entry's bytes differ from what was recorded, or nothing was recorded for it.</summary>
    public void Verify(string filePath, string entry, ReadOnlySpan<byte> bytes, string fix) => Verify(filePath, entry, Of(bytes), fix);

    public void Verify(string filePath, string entry, string actualDigest, string fix)
    {
        if (!digests.TryGetValue(entry, out var expected))
            throw new UnreadableFileException(filePath, "it records no checksum for this entry, so its contents cannot be trusted", fix, entry);
        if (!string.Equals(expected, actualDigest, StringComparison.OrdinalIgnoreCase))
            throw new UnreadableFileException(filePath,
                $"its bytes do not match the SHA-256 recorded when it was written (expected {expected[..12]}…, found {actualDigest[..12]}…): it was damaged after saving",
                fix, entry);
    }
}
