namespace Neo.Cli.Measurement;

/// <summary>This process's resident memory from /proc/self/status (Linux only; null elsewhere).</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident memory so far (VmHWM), in GiB.</summary>
    public static double? PeakGiB => Kilobytes("VmHWM") / (1024.0 * 1024);

    /// <summary>Current resident memory (VmRSS), in GiB.</summary>
    public static double? CurrentGiB => Kilobytes("VmRSS") / (1024.0 * 1024);

    /// <summary>
    /// Lowers the recorded peak (VmHWM) to the current resident memory, so the next <see cref="PeakGiB"/> covers only
    /// what runs from now on (Linux 4.0 and later: writing 5 to /proc/self/clear_refs). False where unavailable.
    /// </summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Hands memory that earlier work freed back to the OS (a full garbage collection, then glibc's malloc_trim), so a
    /// measurement that follows <see cref="ResetPeak"/> starts from what is really in use and not from what the allocator
    /// kept. False where glibc is not there (the measurement then includes that slack).
    /// </summary>
    public static bool Trim()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            MallocTrim(0); // returns whether anything was released; either way the heap is trimmed now
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

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
