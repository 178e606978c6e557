using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafeTensorInfo(string Name, SafeTensorsDtype Dtype, long[] Shape, long Start, long End);

/// <summary>
/// Reads a <c>.safetensors</c> file one tensor at a time, so a checkpoint is never held twice in memory.
/// Layout: u64 little-endian header length N, N bytes of JSON header, then the raw tensor bytes.
/// </summary>
public sealed class SafeTensorsReader : IDisposable
{
    private readonly Stream stream;
    private readonly long dataStart;

    public SafeTensorsReader(string path)
        : this(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read), path)
    {
    }

    /// <summary>Reads from a seekable stream, which the reader then owns.</summary>
    public SafeTensorsReader(Stream stream, string path)
    {
        if (!stream.CanSeek) throw new ArgumentException("The safetensors stream must be seekable.", nameof(stream));
        this.stream = stream;
        try
        {
            Span<byte> lengthBytes = stackalloc byte[8];
            stream.ReadExactly(lengthBytes);
            long headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
            if (headerLength <= 0 || headerLength > Math.Min(stream.Length - 8, 100_000_000))
                throw new InvalidDataException($"'{path}' is not a safetensors file (header length {headerLength}).");
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            dataStart = 8 + headerLength;
            Tensors = ParseHeader(header, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The tensors in the file, by name.</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    /// <summary>Reads one tensor as float32 on the CPU. The caller owns the result.</summary>
    public Tensor ReadFloat32(string name)
    {
        using var stored = Read(name);
        return stored.to(ScalarType.Float32, copy: true);
    }

    /// <summary>
    /// Reads one tensor in its stored dtype (float32, float16 or bfloat16), straight from the file into the tensor's
    /// native memory, so no managed copy of the weights is ever made. The caller owns the result.
    /// </summary>
    public Tensor Read(string name)
    {
        if (!Tensors.TryGetValue(name, out var info))
            throw new KeyNotFoundException($"safetensors: no tensor named '{name}'.");
        long elements = info.Shape.Aggregate(1L, (a, b) => a * b);
        long expectedBytes = elements * info.Dtype.ByteSize();
        if (info.End - info.Start != expectedBytes)
            throw new InvalidDataException($"safetensors: tensor '{name}' spans {info.End - info.Start} bytes, expected {expectedBytes}.");
        if (dataStart + info.End > stream.Length)
            throw new InvalidDataException($"safetensors: tensor '{name}' runs past the end of the file; the file is truncated.");
        var result = empty(info.Shape, info.Dtype.ToScalarType());
        try
        {
            stream.Position = dataStart + info.Start;
            stream.ReadExactly(result.bytes); // little-endian on disk, as in memory on every platform .NET runs here
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static Dictionary<string, SafeTensorInfo> ParseHeader(byte[] header, string path)
    {
        using var document = JsonDocument.Parse(Encoding.UTF8.GetString(header));
        var result = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__") continue;
            var entry = property.Value;
            var dtype = SafeTensorsDtypeNames.Parse(entry.GetProperty("dtype").GetString() ?? "", property.Name);
            long[] shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                throw new InvalidDataException($"'{path}': tensor '{property.Name}' has invalid data_offsets.");
            result[property.Name] = new SafeTensorInfo(property.Name, dtype, shape, offsets[0], offsets[1]);
        }
        return result;
    }

    public void Dispose() => stream.Dispose();
}
