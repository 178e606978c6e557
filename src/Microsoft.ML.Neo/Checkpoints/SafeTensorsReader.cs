using System.Buffers.Binary;
using System.Runtime.InteropServices;
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
        if (!Tensors.TryGetValue(name, out var info))
            throw new KeyNotFoundException($"safetensors: no tensor named '{name}'.");
        long elements = info.Shape.Aggregate(1L, (a, b) => a * b);
        long expectedBytes = elements * info.Dtype.ByteSize();
        if (info.End - info.Start != expectedBytes)
            throw new InvalidDataException($"safetensors: tensor '{name}' spans {info.End - info.Start} bytes, expected {expectedBytes}.");
        var raw = new byte[expectedBytes];
        stream.Position = dataStart + info.Start;
        stream.ReadExactly(raw);
        float[] values = ToFloat32(raw, info.Dtype);
        return tensor(values, info.Shape);
    }

    private static float[] ToFloat32(byte[] raw, SafeTensorsDtype dtype)
    {
        switch (dtype)
        {
            case SafeTensorsDtype.Float32:
                return MemoryMarshal.Cast<byte, float>(raw).ToArray();
            case SafeTensorsDtype.Float16:
            {
                var halves = MemoryMarshal.Cast<byte, Half>(raw);
                var result = new float[halves.Length];
                for (int i = 0; i < result.Length; i++) result[i] = (float)halves[i];
                return result;
            }
            default:
            {
                // bfloat16 is the upper half of a float32's bits.
                var words = MemoryMarshal.Cast<byte, ushort>(raw);
                var result = new float[words.Length];
                for (int i = 0; i < result.Length; i++) result[i] = BitConverter.Int32BitsToSingle(words[i] << 16);
                return result;
            }
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
