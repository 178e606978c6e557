using System.Buffers.Binary;

namespace Microsoft.ML.Neo.Tokenization;

/// <summary>
/// SentencePiece's precompiled normalization rules (<c>normalizer_spec.precompiled_charsmap</c>, as written for
/// <c>nmt_nfkc</c>, <c>nfkc_cf</c> and the other built-in rules): a double-array trie over UTF-8 byte sequences whose
/// values point into a block of NUL-terminated replacement strings.
/// </summary>
/// <remarks>
/// Layout: a little-endian uint32 with the trie's size in bytes, the trie (little-endian uint32 units, the darts-clone
/// format), then the replacement strings. Each unit packs a label byte, a has-leaf flag and the XOR offset of its
/// children; a leaf unit holds a value instead.
/// </remarks>
internal sealed class PrecompiledCharsMap
{
    private readonly uint[] units;
    private readonly byte[] replacements;

    private PrecompiledCharsMap(uint[] units, byte[] replacements)
    {
        this.units = units;
        this.replacements = replacements;
    }

    /// <summary>Reads the rules, or returns null for an empty blob (the identity rule has none).</summary>
    public static PrecompiledCharsMap? Read(ReadOnlySpan<byte> blob)
    {
        if (blob.IsEmpty) return null;
        if (blob.Length < 4) throw Invalid($"{blob.Length} bytes is too short for its size header");
        uint trieBytes = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieBytes == 0 || trieBytes % 4 != 0 || trieBytes > blob.Length - 4)
            throw Invalid($"the trie size {trieBytes} does not fit the {blob.Length}-byte blob");
        var units = new uint[trieBytes / 4];
        for (int i = 0; i < units.Length; i++) units[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.Slice(4 + i * 4));
        return new PrecompiledCharsMap(units, blob[(4 + (int)trieBytes)..].ToArray());
    }

    /// <summary>
    /// The longest rule whose source is a prefix of <paramref name="input"/>: how many bytes it matches (0 when none)
    /// and the UTF-8 bytes that replace them.
    /// </summary>
    public int LongestMatch(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> replacement)
    {
        replacement = default;
        int matched = 0;
        uint position = Offset(Unit(0));
        for (int i = 0; i < input.Length; i++)
        {
            byte label = input[i];
            position ^= label;
            uint unit = Unit(position);
            if ((unit & (1u << 31 | 0xFF)) != label) break; // no child with this label
            position ^= Offset(unit);
            if ((unit >> 8 & 1) == 0) continue; // not the end of a rule's source
            int value = (int)(Unit(position) & int.MaxValue);
            matched = i + 1;
            replacement = ReplacementAt(value);
        }
        return matched;
    }

    private uint Unit(uint position) =>
        position < units.Length ? units[position] : throw Invalid($"the trie points outside itself (unit {position} of {units.Length})");

    // Where a unit's children start, relative to it: 21 bits, scaled by 256 when bit 9 is set.
    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    private ReadOnlySpan<byte> ReplacementAt(int start)
    {
        if (start >= replacements.Length) throw Invalid($"a rule's replacement starts at {start}, past the {replacements.Length}-byte block");
        var rest = replacements.AsSpan(start);
        int end = rest.IndexOf((byte)0);
        return end < 0 ? rest : rest[..end];
    }

    private static InvalidDataException Invalid(string what) =>
        new($"'{TokenizerFiles.SentencePieceFile}': normalizer_spec.precompiled_charsmap is damaged: {what}.");
}
