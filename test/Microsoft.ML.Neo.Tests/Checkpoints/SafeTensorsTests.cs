using System.Buffers.Binary;
using System.Text;
using Microsoft.ML.Neo.Checkpoints;
using static TorchSharp.torch;

namespace Microsoft.ML.Neo.Tests.Checkpoints;

[TestClass]
public sealed class SafeTensorsTests
{
    [TestMethod]
    [DataRow(SafeTensorsDtype.Float32, 0.0)]
    [DataRow(SafeTensorsDtype.Float16, 1e-3)]
    [DataRow(SafeTensorsDtype.BFloat16, 8e-3)]
    public void RoundTripsEachDtype(SafeTensorsDtype dtype, double relativeTolerance)
    {
        using var folder = new TempDirectory();
        string path = folder.Sub("t.safetensors");
        manual_seed(1);
        using var a = randn(3, 5);
        using var b = tensor(new float[] { 1.5f, -2.25f, 0.125f, 1024f });
        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["layer.a"] = a, ["b"] = b }, dtype);

        using var reader = new SafeTensorsReader(path);
        CollectionAssert.AreEquivalent(new[] { "layer.a", "b" }, reader.Tensors.Keys.ToArray());
        Assert.AreEqual(dtype, reader.Tensors["layer.a"].Dtype);
        using var readA = reader.ReadFloat32("layer.a");
        using var readB = reader.ReadFloat32("b");
        CollectionAssert.AreEqual(new long[] { 3, 5 }, readA.shape);
        // Values exactly representable in every dtype come back exactly.
        Assert.IsTrue(TensorAssert.Identical(readB, b), "exactly representable values");
        double error = ((readA - a).abs() / a.abs().clamp_min(1e-3)).max().item<float>();
        Assert.IsTrue(error <= relativeTolerance, $"relative error {error}");
    }

    [TestMethod]
    public void HeaderFollowsTheFormat()
    {
        using var folder = new TempDirectory();
        string path = folder.Sub("t.safetensors");
        using var x = ones(2, 2);
        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["x"] = x }, SafeTensorsDtype.BFloat16);
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.AreEqual(0, headerLength % 8, "data starts 8-byte aligned");
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        StringAssert.Contains(header, "\"x\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,8]}");
        Assert.AreEqual(8 + headerLength + 8, bytes.Length);
        Assert.AreEqual(0x3F80, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)(8 + headerLength))), "bf16 of 1.0");
    }

    [TestMethod]
    public void UnsupportedDtypeIsNamed()
    {
        using var folder = new TempDirectory();
        string path = folder.Sub("t.safetensors");
        byte[] header = Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}");
        using (var stream = File.Create(path))
        {
            var length = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, header.Length);
            stream.Write(length);
            stream.Write(header);
            stream.Write(new byte[8]);
        }
        var error = Assert.ThrowsExactly<NotSupportedException>(() => new SafeTensorsReader(path));
        StringAssert.Contains(error.Message, "I64");
    }
}
