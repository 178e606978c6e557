using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>
/// Loads libtorch once, before the library's first tensor. TorchSharp's own failure names TorchSharp packages and
/// a GitHub issue; an app that uses Microsoft.ML.Neo needs to know which of our packages brings the natives, and on
/// Linux the usual cause when the files are there is an old libstdc++.
/// </summary>
internal static class TorchNatives
{
    /// <summary>The natives package for Linux x64 CPUs, the default backend.</summary>
    public const string LinuxCpuPackage = "Microsoft.ML.Neo.Cpu.Linux";

    /// <summary>The natives package for CPUs on Windows, macOS and Linux.</summary>
    public const string CpuPackage = "Microsoft.ML.Neo.Cpu";

    private static readonly Lazy<Exception?> LoadFailure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <exception cref="DllNotFoundException">libtorch could not be loaded; the message names the package to add.</exception>
    public static void Ensure()
    {
        if (LoadFailure.Value is { } failure) throw new DllNotFoundException(Explain(failure, FindLibTorch()), failure);
    }

    private static Exception? TryLoad()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    internal static string Explain(Exception failure, string? libTorchFound)
    {
        string torchSharp = typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "?";
        string libTorch = typeof(TorchNatives).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "LibTorchVersion")?.Value ?? "?";
        string firstLine = failure.Message.Split('\n', 2)[0].Trim();
        string cause = libTorchFound is null
            ? "The app has no libtorch natives. Add the package for your platform to the app (not to a library it uses):\n" +
              $"  dotnet add package {LinuxCpuPackage}    (Linux x64, CPU)\n" +
              $"  dotnet add package {CpuPackage}          (Windows, macOS and Linux, CPU)\n" +
              $"  or, for NVIDIA GPUs, TorchSharp-cuda-linux / TorchSharp-cuda-windows {torchSharp}.\n" +
              "Each brings the libtorch build that TorchSharp " + torchSharp + " needs (libtorch " + libTorch + ")."
            : $"libtorch is present ({libTorchFound}) but failed to load. On Linux, run `ldd` on libLibTorchSharp.so next to it " +
              "to see what is missing; TorchSharp " + torchSharp + " needs libstdc++ with GLIBCXX_3.4.32 (GCC 13 or later: " +
              "Ubuntu 24.04, Debian 13; on Debian 12 install libstdc++6 from trixie).";
        return $"Microsoft.ML.Neo could not load libtorch on {RuntimeInformation.RuntimeIdentifier}. {cause}\nTorchSharp said: {firstLine}";
    }

    /// <summary>libtorch's CPU library in the app folder or its runtimes/&lt;rid&gt;/native folder, if any.</summary>
    private static string? FindLibTorch()
    {
        string baseDirectory = AppContext.BaseDirectory;
        var folders = new[] { baseDirectory, Path.Combine(baseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native") };
        string[] names = ["libtorch_cpu.so", "torch_cpu.dll", "libtorch_cpu.dylib"];
        return folders.SelectMany(folder => names.Select(name => Path.Combine(folder, name))).FirstOrDefault(File.Exists);
    }
}
