namespace Microsoft.ML.Neo;

/// <summary>
/// A file the library reads (a model folder's config, weights or tokenizer files, a model zip, a training checkpoint, a
/// teacher cache, a trial log, a JSONL data file) is damaged or is not the kind of file expected. The message names the
/// file (and the entry or line inside it, when there is one), says what is wrong in words and what to do; the parser's
/// own exception, when there was one, is the <see cref="Exception.InnerException"/>.
/// </summary>
/// <remarks>It derives from <see cref="IOException"/>: the file could be opened, but not read as what it should be.</remarks>
public sealed class UnreadableFileException : IOException
{
    public UnreadableFileException(string filePath, string problem, string fix, string? entry = null, Exception? inner = null)
        : base(Compose(filePath, problem, fix, entry), inner)
    {
        FilePath = filePath;
        Entry = entry;
        Problem = problem;
        Fix = fix;
    }

    /// <summary>The file that could not be read, as the caller named it.</summary>
    public string FilePath { get; }

    /// <summary>The part of the file at fault (a zip entry, a tensor, "line 12"), or null when the whole file is.</summary>
    public string? Entry { get; }

    /// <summary>What is wrong, in words.</summary>
    public string Problem { get; }

    /// <summary>What to do about it.</summary>
    public string Fix { get; }

    private static string Compose(string filePath, string problem, string fix, string? entry)
    {
        string where = entry is null ? $"'{filePath}'" : $"'{filePath}' ({entry})";
        return $"{where}: {problem.TrimEnd('.')}. {fix}";
    }
}
