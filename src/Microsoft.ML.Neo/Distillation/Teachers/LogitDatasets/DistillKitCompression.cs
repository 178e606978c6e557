using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Neo.Distillation.Teachers.LogitDatasets;

/// <summary>
/// DistillKit's compressed top-K log-probabilities (its <c>DistributionQuantizationConfig</c>), read from the JSON form
/// of the <c>logprob_compressor</c> block of a DistillKit configuration. Per position, <c>compressed_logprobs</c> holds,
/// in order: <c>exact_k</c> values of <c>exact_dtype</c>; the polynomial's coefficients (<c>term_dtype</c>); then each
/// residual bin's scale (<c>scale_dtype</c>) and its <c>element_bits</c>-bit codes, packed most significant bit first.
/// The values are the K log-probabilities best first, as deltas from the previous one when <c>delta_encoding</c>.
/// <c>bytepacked_indices</c> holds the K ids in ceil(log2 d) bits each, packed the same way. Dtypes are little-endian.
/// </summary>
internal sealed class DistillKitCompression
{
    [JsonPropertyName("d")] public int Vocabulary { get; init; }
    [JsonPropertyName("k")] public int TopK { get; init; }
    [JsonPropertyName("exact_k")] public int ExactK { get; init; }
    [JsonPropertyName("exact_dtype")] public string ExactDtype { get; init; } = "float32";
    [JsonPropertyName("polynomial_terms")] public List<JsonElement>? PolynomialTerms { get; init; }
    [JsonPropertyName("term_dtype")] public string TermDtype { get; init; } = "float32";
    [JsonPropertyName("residual_bins")] public List<ResidualBin> ResidualBins { get; init; } = new();
    [JsonPropertyName("delta_encoding")] public bool DeltaEncoding { get; init; } = true;
    [JsonPropertyName("normalize_t")] public bool NormalizeT { get; init; }

    internal sealed class ResidualBin
    {
        [JsonPropertyName("scale_dtype")] public string ScaleDtype { get; init; } = "float32";
        [JsonPropertyName("element_bits")] public int ElementBits { get; init; }
        [JsonPropertyName("num_elements")] public int Count { get; init; }
    }

    /// <summary>An exact configuration for writing: K float32 log-probabilities, no polynomial, no deltas.</summary>
    public static DistillKitCompression Exact(int vocabulary, int topK) =>
        new() { Vocabulary = vocabulary, TopK = topK, ExactK = topK, ExactDtype = "float32", DeltaEncoding = false };

    [JsonIgnore] public int IdBits => Math.Max(1, (int)Math.Ceiling(Math.Log2(Vocabulary)));

    public static DistillKitCompression Load(string path)
    {
        var config = Integrity.FileReading.Guard(path, "Give the JSON form of the logprob_compressor block of the DistillKit configuration the dataset was made with.",
            () => JsonSerializer.Deserialize<DistillKitCompression>(File.ReadAllText(path)) ?? throw new InvalidDataException("it holds no configuration"));
        config.Validate(path);
        return config;
    }

    private void Validate(string path)
    {
        string? problem =
            Vocabulary < 1 ? "d (the vocabulary size) must be at least 1"
            : TopK < 1 ? "k must be at least 1"
            : ExactK < 0 || ExactK > TopK ? "exact_k must be between 0 and k"
            : ResidualBins.Any(b => b.ElementBits is < 1 or > 64 || b.Count < 1) ? "each residual bin needs element_bits 1 to 64 and num_elements 1 or more"
            : ResidualBins.Sum(b => b.Count) > TopK - ExactK ? "the residual bins hold more values than k - exact_k"
            : new[] { ExactDtype, TermDtype }.Concat(ResidualBins.Select(b => b.ScaleDtype)).FirstOrDefault(d => DtypeBytes(d) == 0) is { } dtype ? $"the dtype '{dtype}' is not float16, bfloat16, float32 or float64"
            : Terms().Any(t => t is null) ? "polynomial_terms may hold integers (powers), \"sqrt\" and \"exp\""
            : null;
        if (problem is not null) throw new UnreadableFileException(path, problem, "Fix the DistillKit compression configuration.", null, null);
    }

    /// <summary>Bytes of <c>compressed_logprobs</c> per position.</summary>
    [JsonIgnore]
    public int LogprobBytes
    {
        get
        {
            int bits = ExactK * DtypeBytes(ExactDtype) * 8 + Terms().Count * DtypeBytes(TermDtype) * 8;
            foreach (var bin in ResidualBins) bits += (DtypeBytes(bin.ScaleDtype) * 8 + bin.ElementBits * bin.Count + 7) / 8 * 8;
            return (bits + 7) / 8;
        }
    }

    /// <summary>Unpacks one position: K ids and their log-probabilities, best first.</summary>
    public (int[] Ids, float[] Logprobs) Decode(IReadOnlyList<byte> logprobBytes, IReadOnlyList<byte> idBytes)
    {
        var bytes = logprobBytes as byte[] ?? logprobBytes.ToArray();
        if (bytes.Length < LogprobBytes) throw new InvalidDataException($"a position's compressed_logprobs has {bytes.Length} bytes; the configuration needs {LogprobBytes}");
        int offset = 0;
        var values = new double[TopK];
        for (int i = 0; i < ExactK; i++) values[i] = ReadFloat(bytes, ref offset, ExactDtype);
        var terms = Terms();
        var coefficients = terms.Select(_ => ReadFloat(bytes, ref offset, TermDtype)).ToArray();
        int approximated = TopK - ExactK, filled = 0;
        var residual = new double[approximated];
        foreach (var bin in ResidualBins)
        {
            double scale = ReadFloat(bytes, ref offset, bin.ScaleDtype);
            var codes = UnpackMsbFirst(bytes.AsSpan(offset), bin.ElementBits, bin.Count);
            offset += (bin.ElementBits * bin.Count + 7) / 8;
            long lowest = bin.ElementBits == 1 ? 0 : -(1L << (bin.ElementBits - 1));
            foreach (ulong code in codes)
                residual[filled++] = bin.ElementBits == 1 ? ((double)code * 2 - 1) * scale : ((long)code + lowest) * scale;
        }
        for (int t = 0; t < approximated; t++)
        {
            double point = NormalizeT ? (approximated == 1 ? 0 : (double)t / (approximated - 1)) : t, fit = 0;
            for (int j = 0; j < terms.Count; j++)
                fit += coefficients[j] * terms[j] switch { "sqrt" => Math.Sqrt(point), "exp" => Math.Exp(point), var power => Math.Pow(point, int.Parse(power!)) };
            values[ExactK + t] = fit + residual[t];
        }
        if (DeltaEncoding)
            for (int i = 1; i < TopK; i++) values[i] += values[i - 1];
        var ids = UnpackMsbFirst(idBytes as byte[] ?? idBytes.ToArray(), IdBits, TopK).Select(id => checked((int)id)).ToArray();
        return (ids, values.Select(v => (float)v).ToArray());
    }

    /// <summary>Packs one position with an <see cref="Exact"/> configuration.</summary>
    public (byte[] Logprobs, byte[] Ids) EncodeExact(ReadOnlySpan<int> ids, ReadOnlySpan<float> logprobs)
    {
        if (ExactK != TopK || ExactDtype != "float32" || DeltaEncoding) throw new InvalidOperationException("Only the exact configuration is written.");
        var values = new byte[TopK * 4];
        for (int i = 0; i < TopK; i++) BitConverter.TryWriteBytes(values.AsSpan(i * 4), logprobs[i]);
        var packed = new byte[(IdBits * TopK + 7) / 8];
        for (int i = 0, bit = 0; i < TopK; i++)
            for (int b = IdBits - 1; b >= 0; b--, bit++)
                if (((ids[i] >> b) & 1) != 0) packed[bit >> 3] |= (byte)(0x80 >> (bit & 7));
        return (values, packed);
    }

    private List<string?> Terms() => (PolynomialTerms ?? new()).Select(t => t.ValueKind switch
    {
        JsonValueKind.Number when t.TryGetInt32(out int power) => power.ToString(System.Globalization.CultureInfo.InvariantCulture),
        JsonValueKind.String when t.GetString() is "sqrt" or "exp" => t.GetString(),
        _ => null,
    }).ToList();

    private static int DtypeBytes(string dtype) => dtype switch { "float16" or "bfloat16" => 2, "float32" => 4, "float64" => 8, _ => 0 };

    private static double ReadFloat(byte[] bytes, ref int offset, string dtype)
    {
        int size = DtypeBytes(dtype);
        if (offset + size > bytes.Length) throw new InvalidDataException("a position's compressed_logprobs ends early");
        var span = bytes.AsSpan(offset, size);
        offset += size;
        return dtype switch
        {
            "float16" => (double)BitConverter.ToHalf(span),
            "bfloat16" => BitConverter.UInt32BitsToSingle((uint)BitConverter.ToUInt16(span) << 16),
            "float32" => BitConverter.ToSingle(span),
            _ => BitConverter.ToDouble(span),
        };
    }

    // `count` unsigned fields of `bits` bits from a stream packed most significant bit first (DistillKit's pack_to_bytes).
    private static ulong[] UnpackMsbFirst(ReadOnlySpan<byte> bytes, int bits, int count)
    {
        if ((long)bits * count > bytes.Length * 8L) throw new InvalidDataException($"{count} packed values of {bits} bits need {((long)bits * count + 7) / 8} bytes; the row has {bytes.Length}");
        var values = new ulong[count];
        for (int i = 0, bit = 0; i < count; i++)
            for (int b = 0; b < bits; b++, bit++)
                values[i] = (values[i] << 1) | (uint)((bytes[bit >> 3] >> (7 - (bit & 7))) & 1);
        return values;
    }
}
