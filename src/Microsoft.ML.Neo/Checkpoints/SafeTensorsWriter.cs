using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Checkpoints;

/// <summary>Writes tensors to a <c>.safetensors</c> file in float32, float16 or bfloat16, one tensor at a time.</summary>
internal static class SafeTensorsWriter
{
    /// <summary>Writes the tensors, sorted by name as the reference implementation does, converting to <paramref name="dtype"/>.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, SafeTensorsDtype dtype,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        Write(stream, tensors, dtype, metadata);
    }

    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, SafeTensorsDtype dtype,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata) meta[key] = value;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var (name, value) in ordered)
        {
            long bytes = value.numel() * dtype.ByteSize();
            header[name] = new JsonObject
            {
                ["dtype"] = dtype.ToHeaderName(),
                ["shape"] = new JsonArray(value.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }

        // The header is padded with spaces so the data starts 8-byte aligned.
        byte[] headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (headerBytes.Length + 7) / 8 * 8;
        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(lengthBytes, padded);
        stream.Write(lengthBytes);
        stream.Write(headerBytes);
        for (int i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');

        foreach (var (_, value) in ordered)
        {
            // Converted by libtorch (round to nearest even for the 16-bit types) and written from native memory.
            using var scope = NewDisposeScope();
            var stored = value.detach().cpu().to(dtype.ToScalarType()).contiguous();
            stream.Write(stored.bytes);
        }
    }
}
