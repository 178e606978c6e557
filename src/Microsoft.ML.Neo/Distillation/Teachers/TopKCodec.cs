namespace Microsoft.ML.Neo.Distillation.Teachers;

/// <summary>
/// Packs one example's top-K teacher scores (positions × K ids and logits) for the score cache. Per position:
/// <list type="bullet">
/// <item>the ids, sorted, as Rice-coded gaps (a 5-bit parameter chosen per position), about log2(V / K) + 1.5 bits each
/// instead of 32;</item>
/// <item>exact: each id's logit as a float32, in id order;</item>
/// <item>compact: the spread U between the best and the worst logit, as a float32, then each id's distance u below the
/// best logit as a <see cref="CompactBits"/>-bit code on a log scale, <c>ln(1 + u / Knee) / ln(1 + U / Knee)</c>: fine
/// near the best token, where the probability mass and so the loss's sensitivity is, and coarse in the tail. Decoded
/// logits are <c>−u</c>: the best becomes 0, which changes no distribution, since the loss renormalises the K logits.</item>
/// </list>
/// Decoding gives the ids back best first.
/// </summary>
internal static class TopKCodec
{
    /// <summary>Bits per value of the compact encoding.</summary>
    public const int CompactBits = 10;

    /// <summary>Bits per value of the exact encoding (the float32 itself).</summary>
    public const int ExactBits = 32;

    // Below this distance (in logits) from the best token the code is close to linear, above it logarithmic.
    private const double Knee = 0.25;

    private const int RiceParameterBits = 5;

    public static byte[] Encode(int positions, int topK, ReadOnlySpan<int> ids, ReadOnlySpan<float> logits, int valueBits)
    {
        if (valueBits != ExactBits && valueBits is < 2 or > 16) throw new ArgumentOutOfRangeException(nameof(valueBits));
        var writer = new BitWriter();
        var order = new int[topK];
        var gaps = new uint[topK];
        uint levels = valueBits == ExactBits ? 0 : (1u << valueBits) - 1;
        for (int p = 0; p < positions; p++)
        {
            var rowIds = ids.Slice(p * topK, topK);
            var rowLogits = logits.Slice(p * topK, topK);
            for (int i = 0; i < topK; i++) order[i] = i;
            var keys = rowIds.ToArray();
            Array.Sort(keys, order);
            float best = float.NegativeInfinity, worst = float.PositiveInfinity;
            foreach (float v in rowLogits) { best = Math.Max(best, v); worst = Math.Min(worst, v); }
            float spread = (float)((double)best - worst);
            for (int i = 0; i < topK; i++)
            {
                long gap = keys[i] - (i == 0 ? 0L : keys[i - 1] + 1L);
                if (gap < 0) throw new ArgumentException($"Top-K ids must be distinct and non-negative; position {p} repeats or has a negative id.");
                gaps[i] = (uint)gap;
            }
            int r = BestRiceParameter(gaps);
            writer.Write((uint)r, RiceParameterBits);
            foreach (uint gap in gaps) writer.WriteRice(gap, r);
            if (levels == 0)
            {
                foreach (int i in order) writer.Write(BitConverter.SingleToUInt32Bits(rowLogits[i]), 32);
                continue;
            }
            writer.Write(BitConverter.SingleToUInt32Bits(spread), 32);
            double scale = Math.Log(1 + spread / Knee);
            foreach (int i in order)
            {
                double distance = (double)best - rowLogits[i];
                writer.Write(scale <= 0 ? 0u : (uint)Math.Clamp(Math.Round(Math.Log(1 + distance / Knee) / scale * levels), 0, levels), valueBits);
            }
        }
        return writer.ToArray();
    }

    /// <summary>Unpacks <see cref="Encode"/>'s bytes into <paramref name="ids"/> and <paramref name="logits"/> (positions × K, best first).</summary>
    /// <param name="idLimit">Ids above this are corruption (the format allows any non-negative int32).</param>
    public static void Decode(ReadOnlySpan<byte> payload, int positions, int topK, int valueBits, Span<int> ids, Span<float> logits, uint idLimit = int.MaxValue)
    {
        var reader = new BitReader(payload);
        uint levels = valueBits == ExactBits ? 0 : (1u << valueBits) - 1;
        var sortedIds = new int[topK];
        var values = new float[topK];
        for (int p = 0; p < positions; p++)
        {
            int r = (int)reader.Read(RiceParameterBits);
            long id = -1;
            for (int i = 0; i < topK; i++)
            {
                id += reader.ReadRice(r, idLimit) + 1L;
                if (id > idLimit) throw new InvalidDataException("a packed id is out of range");
                sortedIds[i] = (int)id;
            }
            if (levels == 0)
            {
                for (int i = 0; i < topK; i++)
                {
                    values[i] = BitConverter.UInt32BitsToSingle(reader.Read(32));
                    if (!float.IsFinite(values[i])) throw new InvalidDataException("a cached logit is not a finite number");
                }
            }
            else
            {
                float spread = BitConverter.UInt32BitsToSingle(reader.Read(32));
                if (!float.IsFinite(spread) || spread < 0) throw new InvalidDataException("a position's logit spread is not a finite, non-negative number");
                double scale = Math.Log(1 + spread / Knee);
                for (int i = 0; i < topK; i++) values[i] = (float)-(Knee * (Math.Exp(scale * reader.Read(valueBits) / levels) - 1));
            }
            // Best first, ties by id, as the teacher handed them over.
            var rank = Enumerable.Range(0, topK).OrderByDescending(i => values[i]).ThenBy(i => sortedIds[i]).ToArray();
            for (int k = 0; k < topK; k++)
            {
                ids[p * topK + k] = sortedIds[rank[k]];
                logits[p * topK + k] = values[rank[k]];
            }
        }
    }

    // The Rice parameter that codes these gaps in the fewest bits.
    private static int BestRiceParameter(ReadOnlySpan<uint> gaps)
    {
        int best = 0;
        long bestBits = long.MaxValue;
        for (int r = 0; r < 1 << RiceParameterBits; r++)
        {
            long bits = 0;
            foreach (uint gap in gaps) bits += (gap >> r) + 1 + r;
            if (bits < bestBits) (best, bestBits) = (r, bits);
        }
        return best;
    }
}
