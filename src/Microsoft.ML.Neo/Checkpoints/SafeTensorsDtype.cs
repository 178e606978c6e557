namespace Microsoft.ML.Neo;

/// <summary>Storage types a safetensors file may hold; all are computed in float32 on load.</summary>
public enum SafeTensorsDtype
{
    /// <summary>IEEE float32 ("F32").</summary>
    Float32,
    /// <summary>IEEE float16 ("F16").</summary>
    Float16,
    /// <summary>bfloat16 ("BF16"): float32's exponent with a 7-bit mantissa.</summary>
    BFloat16,
}

internal static class SafeTensorsDtypeNames
{
    public static string ToHeaderName(this SafeTensorsDtype dtype) => dtype switch
    {
        SafeTensorsDtype.Float32 => "F32",
        SafeTensorsDtype.Float16 => "F16",
        SafeTensorsDtype.BFloat16 => "BF16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static string ToTorchDtype(this SafeTensorsDtype dtype) => dtype switch
    {
        SafeTensorsDtype.Float32 => "float32",
        SafeTensorsDtype.Float16 => "float16",
        SafeTensorsDtype.BFloat16 => "bfloat16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static TorchSharp.torch.ScalarType ToScalarType(this SafeTensorsDtype dtype) => dtype switch
    {
        SafeTensorsDtype.Float32 => TorchSharp.torch.ScalarType.Float32,
        SafeTensorsDtype.Float16 => TorchSharp.torch.ScalarType.Float16,
        SafeTensorsDtype.BFloat16 => TorchSharp.torch.ScalarType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static int ByteSize(this SafeTensorsDtype dtype) => dtype == SafeTensorsDtype.Float32 ? 4 : 2;

    public static SafeTensorsDtype Parse(string headerName, string tensorName) => headerName switch
    {
        "F32" => SafeTensorsDtype.Float32,
        "F16" => SafeTensorsDtype.Float16,
        "BF16" => SafeTensorsDtype.BFloat16,
        _ => throw new NotSupportedException(
            $"safetensors: tensor '{tensorName}' has dtype '{headerName}'; only F32, F16 and BF16 are supported."),
    };
}
