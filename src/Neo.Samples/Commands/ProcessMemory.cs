namespace Neo.Samples.Commands;

/// <summary>This process's resident memory from /proc/self/status (Linux only; null elsewhere).</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident memory so far (VmHWM), in GiB.</summary>
    public static double? PeakGiB => Kilobytes("VmHWM") / (1024.0 * 1024);

    /// <summary>Current resident memory (VmRSS), in GiB.</summary>
    public static double? CurrentGiB => Kilobytes("VmRSS") / (1024.0 * 1024);

    private static long? Kilobytes(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return null;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
                return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0]);
        }
        return null;
    }
}
