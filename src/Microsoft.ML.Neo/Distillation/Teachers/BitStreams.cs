namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>Writes unsigned fields of 1-32 bits into bytes, least significant bit first.</summary>
internal sealed class BitWriter
{
    private readonly List<byte> bytes = new();
    private ulong pending;
    private int pendingBits;

    public void Write(uint value, int bits)
    {
        if (bits is < 0 or > 32) throw new ArgumentOutOfRangeException(nameof(bits));
        if (bits < 32 && value >> bits != 0) throw new ArgumentOutOfRangeException(nameof(value), $"{value} does not fit in {bits} bits.");
        pending |= (ulong)value << pendingBits;
        pendingBits += bits;
        while (pendingBits >= 8)
        {
            bytes.Add((byte)pending);
            pending >>= 8;
            pendingBits -= 8;
        }
    }

    /// <summary>Rice code of <paramref name="value"/> with parameter <paramref name="r"/>: the quotient in unary (ones, then a zero), then r low bits.</summary>
    public void WriteRice(uint value, int r)
    {
        for (uint q = value >> r; q > 0; q -= Math.Min(q, 32u)) Write(q >= 32 ? uint.MaxValue : (1u << (int)q) - 1, (int)Math.Min(q, 32u));
        Write(0, 1);
        if (r > 0) Write(value & (uint)((1L << r) - 1), r);
    }

    /// <summary>The bits written so far, the last byte padded with zeros.</summary>
    public byte[] ToArray()
    {
        var result = new List<byte>(bytes);
        if (pendingBits > 0) result.Add((byte)pending);
        return result.ToArray();
    }
}

/// <summary>Reads what <see cref="BitWriter"/> wrote; reading past the end throws <see cref="InvalidDataException"/>.</summary>
internal ref struct BitReader(ReadOnlySpan<byte> bytes)
{
    private readonly ReadOnlySpan<byte> bytes = bytes;
    private long position; // in bits

    public uint Read(int bits)
    {
        if (position + bits > bytes.Length * 8L) throw new InvalidDataException("the record ends before its last field");
        uint value = 0;
        for (int done = 0; done < bits;)
        {
            int bit = (int)(position & 7), take = Math.Min(8 - bit, bits - done);
            uint chunk = (uint)(bytes[(int)(position >> 3)] >> bit) & ((1u << take) - 1);
            value |= chunk << done;
            done += take;
            position += take;
        }
        return value;
    }

    public uint ReadRice(int r, uint limit)
    {
        uint quotient = 0;
        while (Read(1) == 1)
            if (++quotient > limit >> r) throw new InvalidDataException("a packed id is out of range");
        return (quotient << r) | (r > 0 ? Read(r) : 0);
    }
}
