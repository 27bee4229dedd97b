using System.Buffers.Binary;
using System.Security.Cryptography;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Prune;

/// <summary>
/// A <c>deletions/&lt;random id&gt;</c> object: packs that prune took out of every index and will
/// delete once the grace period has passed since <see cref="Created"/> and a re-check found no
/// snapshot that still needs them (FORMAT.md, "Prune"). It keeps the packs' index records, so a
/// pack a late snapshot turns out to need is indexed again instead of lost; and the index objects
/// it supersedes, so a prune killed before it finished rewriting them is completed by the next.
/// </summary>
/// <remarks>
/// Payload (sealed as kind "deletion", zstd): version u8 (=1) | created i64 (Unix ms) |
/// superseded u32 | superseded × index object id [32] | the packs in the index payload format.
/// </remarks>
internal sealed record DeletionMark(string Id, DateTimeOffset Created, IReadOnlyList<string> SupersededIndexes, IReadOnlyList<PackRecord> Packs)
{
    public string Key => ObjectKeys.Deletion(Id);

    public static DeletionMark New(DateTimeOffset created, IReadOnlyList<string> supersededIndexes, IReadOnlyList<PackRecord> packs) =>
        new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), created, supersededIndexes, packs);

    public byte[] Encode()
    {
        var packs = RepositoryIndex.Encode([.. Packs]);
        var buffer = new byte[1 + 8 + 4 + (SupersededIndexes.Count * BlobId.Size) + packs.Length];
        buffer[0] = 1;
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(1), Created.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(9), SupersededIndexes.Count);
        var pos = 13;
        foreach (var key in SupersededIndexes)
        {
            BlobId.Parse(key[ObjectKeys.IndexPrefix.Length..]).WriteTo(buffer.AsSpan(pos));
            pos += BlobId.Size;
        }

        packs.CopyTo(buffer.AsSpan(pos));
        return buffer;
    }

    /// <exception cref="FormatException">Not a version 1 deletion mark.</exception>
    public static DeletionMark Decode(string id, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 13 || payload[0] != 1)
        {
            throw new FormatException("deletion mark has an unknown version");
        }

        var created = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(payload[1..]));
        var count = BinaryPrimitives.ReadInt32LittleEndian(payload[9..]);
        if (count < 0 || 13L + ((long)count * BlobId.Size) > payload.Length)
        {
            throw new FormatException("deletion mark ends inside its list of index objects");
        }

        var superseded = new List<string>(count);
        var pos = 13;
        for (var i = 0; i < count; i++)
        {
            superseded.Add(ObjectKeys.Index(new BlobId(payload.Slice(pos, BlobId.Size))));
            pos += BlobId.Size;
        }

        return new DeletionMark(id, created, superseded, RepositoryIndex.Decode(payload[pos..]));
    }
}
