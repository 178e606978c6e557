using System.Text.Json;

namespace Microsoft.ML.Neo.Integrity;

/// <summary>
/// The one place where a reader's failure on a damaged file becomes an <see cref="UnreadableFileException"/>: every
/// reader of a file the user hands the library runs inside <see cref="Guard{T}"/>, so a parser's own exception
/// (a JSON syntax error, a protobuf error, an early end of stream) never reaches the user bare.
/// </summary>
internal static class FileReading
{
    /// <summary>What to do about each kind of damaged file.</summary>
    public static class Fixes
    {
        public const string ModelFolder =
            "Download the model folder again, or restore the file from the model's source (its Hugging Face repository).";
        public const string ModelZip =
            "The zip is damaged, or was not saved by this library: save the model again, or copy the zip again from a good copy.";
        public const string TrainingCheckpoint =
            "Delete the checkpoint folder to start the run fresh, or point CheckpointDirectory at another folder.";
        public const string TeacherCache =
            "Delete the cache folder (it is rebuilt from the teacher), or point TeacherCacheDirectory at another folder.";
        public const string PeftAdapter =
            "Export the adapter again, or restore the folder from a good copy.";
    }

    /// <summary>
    /// Runs <paramref name="read"/>; any failure other than a missing file, a cancellation or an
    /// <see cref="UnreadableFileException"/> already raised becomes an <see cref="UnreadableFileException"/> naming the file.
    /// </summary>
    public static T Guard<T>(string filePath, string fix, Func<T> read, string? entry = null)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (IsDamage(e))
        {
            throw new UnreadableFileException(filePath, Describe(e, filePath), fix, entry, e);
        }
    }

    public static void Guard(string filePath, string fix, Action read, string? entry = null) =>
        Guard<object?>(filePath, fix, () => { read(); return null; }, entry);

    /// <summary>Whether the exception says the contents are bad, as opposed to the file being absent or the work cancelled.</summary>
    public static bool IsDamage(Exception e) => e switch
    {
        UnreadableFileException or OperationCanceledException or OutOfMemoryException => false,
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException => false,
        TeacherServerException or NotSupportedException => false, // a served teacher's failure; a valid file this library cannot use
        EndOfStreamException or InvalidDataException => true,
        IOException => false, // a disk error, not the contents
        _ => true,
    };

    /// <summary>The problem in words, without repeating the file name the exception's message already starts with.</summary>
    public static string Describe(Exception e, string filePath)
    {
        string message = e switch
        {
            JsonException json => DescribeJson(json),
            EndOfStreamException => "it ends too early: the file is truncated",
            Google.Protobuf.InvalidProtocolBufferException => $"it is not a valid protobuf message ({e.Message.TrimEnd('.')})",
            _ => e.Message,
        };
        string name = Path.GetFileName(filePath);
        foreach (var prefix in new[] { $"'{filePath}': ", $"'{filePath}' ", $"{filePath}: ", $"'{name}': ", $"{name}: " })
            if (message.StartsWith(prefix, StringComparison.Ordinal)) return message[prefix.Length..];
        return message;
    }

    private static string DescribeJson(JsonException e)
    {
        // The serializer's message ends with " Path: $.x | LineNumber: 0 | BytePositionInLine: 25."; keep the words.
        string words = e.Message;
        int cut = words.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0) cut = words.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        if (cut > 0) words = words[..cut];
        string where = e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
        return $"it is not valid JSON{where} ({words.TrimEnd('.', ' ')})";
    }
}
