using System.Buffers.Binary;
using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// A pack's trailer: sealed(header) | u32 LE length of sealed(header). The plain header is
/// version u8 (=1) | count u32 LE | count × <see cref="PackEntry"/>. Associated data "drorch1:packheader".
/// </summary>
internal static class PackHeader
{
    public const int LengthFieldSize = 4;
    private static readonly byte[] AssociatedData = "drorch1:packheader"u8.ToArray();

    public static byte[] Seal(IReadOnlyList<PackEntry> entries, Aead aead)
    {
        var plain = new byte[5 + (entries.Count * PackEntry.EncodedSize)];
        plain[0] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(plain.AsSpan(1), entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            entries[i].Write(plain.AsSpan(5 + (i * PackEntry.EncodedSize)));
        }

        var sealedHeader = new byte[plain.Length + Aead.Overhead + LengthFieldSize];
        var n = aead.Seal(plain, AssociatedData, sealedHeader);
        BinaryPrimitives.WriteInt32LittleEndian(sealedHeader.AsSpan(n), n);
        return sealedHeader;
    }

    /// <summary>Parses the sealed header (without the 4-byte length field).</summary>
    public static List<PackEntry> Open(ReadOnlySpan<byte> sealedHeader, Aead aead)
    {
        var plain = aead.Open(sealedHeader, AssociatedData);
        if (plain.Length < 5 || plain[0] != 1)
        {
            throw new FormatException("pack header has an unknown version");
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(plain.AsSpan(1));
        if (count < 0 || plain.Length != 5 + ((long)count * PackEntry.EncodedSize))
        {
            throw new FormatException($"pack header length {plain.Length} does not fit {count} entries");
        }

        var entries = new List<PackEntry>(count);
        for (var i = 0; i < count; i++)
        {
            entries.Add(PackEntry.Read(plain.AsSpan(5 + (i * PackEntry.EncodedSize))));
        }

        return entries;
    }
}
