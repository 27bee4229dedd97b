using System.Buffers.Binary;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// One blob inside a pack. Binary layout (46 bytes, little-endian), shared by pack headers and
/// index files: type u8 | flags u8 (bit 0 = zstd-compressed) | id [32] | offset u32 | length u32 | plain length u32.
/// <c>Length</c> is the sealed size (nonce + ciphertext + tag); <c>PlainLength</c> the chunk's size.
/// </summary>
internal readonly record struct PackEntry(BlobType Type, bool Compressed, BlobId Id, uint Offset, uint Length, uint PlainLength)
{
    public const int EncodedSize = 46;

    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)Type;
        destination[1] = Compressed ? (byte)1 : (byte)0;
        Id.WriteTo(destination.Slice(2, BlobId.Size));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[34..], Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[38..], Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[42..], PlainLength);
    }

    public static PackEntry Read(ReadOnlySpan<byte> source)
    {
        var type = (BlobType)source[0];
        if (type is not (BlobType.Data or BlobType.Tree) || source[1] > 1)
        {
            throw new FormatException($"unknown blob type {source[0]} or flags {source[1]}");
        }

        return new PackEntry(
            type,
            source[1] == 1,
            new BlobId(source.Slice(2, BlobId.Size)),
            BinaryPrimitives.ReadUInt32LittleEndian(source[34..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[38..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[42..]));
    }

    /// <summary>Associated data binding a sealed blob to its type and id (no swapping between slots or types).</summary>
    public static void AssociatedData(BlobType type, BlobId id, Span<byte> destination)
    {
        destination[0] = (byte)type;
        id.WriteTo(destination.Slice(1, BlobId.Size));
    }

    public const int AssociatedDataSize = 1 + BlobId.Size;
}
