using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.ML.Neo.Integrity;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
internal sealed record SafeTensorInfo(string Name, SafeTensorsDtype Dtype, long[] Shape, long Start, long End);

/// <summary>
/// Reads a <c>.safetensors</c> file one tensor at a time, so a checkpoint is never held twice in memory.
/// Layout: u64 little-endian header length N, N bytes of JSON header, then the raw tensor bytes.
/// </summary>
internal sealed class SafeTensorsReader : IDisposable
{
    private readonly Stream stream;
    private readonly long dataStart;
    private readonly string path;

    public SafeTensorsReader(string path)
        : this(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read), path)
    {
    }

    /// <summary>Reads from a seekable stream, which the reader then owns.</summary>
    public SafeTensorsReader(Stream stream, string path)
    {
        if (!stream.CanSeek) throw new ArgumentException("The safetensors stream must be seekable.", nameof(stream));
        this.stream = stream;
        this.path = path;
        try
        {
            (dataStart, Tensors) = FileReading.Guard(path, FileReading.Fixes.ModelFolder, () => ReadHeader(stream, path));
        }
        catch (NotSupportedException e)
        {
            stream.Dispose();
            throw new NotSupportedException($"'{path}': {e.Message}", e);
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
        // The header was checked against the file's length when it was read; a read that still fails means the file
        // changed or a sector is unreadable.
        var result = empty(info.Shape, info.Dtype.ToScalarType());
        try
        {
            FileReading.Guard(path, FileReading.Fixes.ModelFolder, () =>
            {
                stream.Position = dataStart + info.Start;
                stream.ReadExactly(result.bytes); // little-endian on disk, as in memory on every platform .NET runs here
            }, entry: $"tensor '{name}'");
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static (long DataStart, Dictionary<string, SafeTensorInfo> Tensors) ReadHeader(Stream stream, string path)
    {
        if (stream.Length < 8) throw new InvalidDataException($"it is {stream.Length} bytes long, too short for a safetensors file");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        // The length is checked before anything is allocated, so a damaged length field cannot ask for gigabytes.
        if (headerLength <= 0 || headerLength > Math.Min(stream.Length - 8, 100_000_000))
            throw new InvalidDataException($"it is not a safetensors file (its header length field says {headerLength} bytes; the file has {stream.Length})");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + headerLength;
        return (dataStart, ParseHeader(header, stream.Length - dataStart));
    }

    private static Dictionary<string, SafeTensorInfo> ParseHeader(byte[] header, long dataBytes)
    {
        using var document = JsonDocument.Parse(header);
        if (document.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("its header is not a JSON object");
        var result = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__") continue;
            var entry = property.Value;
            string Bad(string what) => $"tensor '{property.Name}' has {what}";
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("dtype", out var dtypeName) || dtypeName.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("shape", out var shapeArray) || shapeArray.ValueKind != JsonValueKind.Array
                || !entry.TryGetProperty("data_offsets", out var offsetArray) || offsetArray.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException(Bad("no dtype, shape or data_offsets"));
            var dtype = SafeTensorsDtypeNames.Parse(dtypeName.GetString()!, property.Name);
            long[] shape = shapeArray.EnumerateArray().Select(e => e.TryGetInt64(out long d) && d >= 0 ? d
                : throw new InvalidDataException(Bad($"a shape entry {e.GetRawText()} that is not a size"))).ToArray();
            long[] offsets = offsetArray.EnumerateArray().Select(e => e.TryGetInt64(out long o) ? o : -1).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                throw new InvalidDataException(Bad($"invalid data_offsets {offsetArray.GetRawText()}"));
            if (offsets[1] > dataBytes)
                throw new InvalidDataException(Bad($"data_offsets ending at byte {offsets[1]}, past the end of the data ({dataBytes} bytes): the file is truncated"));
            long expectedBytes;
            try { expectedBytes = checked(shape.Aggregate(1L, (a, b) => a * b) * dtype.ByteSize()); }
            catch (OverflowException) { throw new InvalidDataException(Bad($"a shape [{string.Join(", ", shape)}] too large for any file")); }
            if (offsets[1] - offsets[0] != expectedBytes)
                throw new InvalidDataException(Bad($"{offsets[1] - offsets[0]} bytes of data; its shape [{string.Join(", ", shape)}] needs {expectedBytes}"));
            result[property.Name] = new SafeTensorInfo(property.Name, dtype, shape, offsets[0], offsets[1]);
        }
        return result;
    }

    public void Dispose() => stream.Dispose();
}
