using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Modeling;

/// <summary>Maps the "cpu" / "cuda" option to a TorchSharp device, failing clearly when CUDA is not usable.</summary>
internal static class DeviceSelection
{
    public static Device Resolve(string name)
    {
        TorchNatives.Ensure();
        if (name == "cpu") return CPU;
        if (name != "cuda") throw new ArgumentOutOfRangeException(nameof(name), name, "Device must be \"cpu\" or \"cuda\".");
        if (!cuda.is_available())
            throw new InvalidOperationException(
                "Device \"cuda\" was requested but CUDA is not available: build with a CUDA backend " +
                "(dotnet build -p:NeoTorchBackend=cuda-linux or cuda-windows) on a machine with an NVIDIA GPU, or use \"cpu\".");
        return CUDA;
    }
}
