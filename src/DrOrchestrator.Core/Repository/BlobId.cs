using System.Buffers.Binary;
using System.Security.Cryptography;

namespace DrOrchestrator.Core.Repository;

/// <summary>A 32-byte SHA-256 value used as an id (chunks, trees, packs, indexes). Compact and hashable.</summary>
internal readonly struct BlobId : IEquatable<BlobId>, IComparable<BlobId>
{
    public const int Size = 32;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    public BlobId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"an id is {Size} bytes, got {bytes.Length}", nameof(bytes));
        }

        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>From the id's four big-endian 64-bit words (the compact index stores ids this way).</summary>
    internal BlobId(ulong a, ulong b, ulong c, ulong d)
    {
        _a = a;
        _b = b;
        _c = c;
        _d = d;
    }

    /// <summary>The id's four big-endian 64-bit words, most significant first (ordering follows them).</summary>
    internal (ulong A, ulong B, ulong C, ulong D) Words => (_a, _b, _c, _d);

    public static BlobId Hash(ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[Size];
        SHA256.HashData(data, h);
        return new BlobId(h);
    }

    public static BlobId Random()
    {
        Span<byte> h = stackalloc byte[Size];
        RandomNumberGenerator.Fill(h);
        return new BlobId(h);
    }

    public static BlobId Parse(string hex)
    {
        if (hex.Length != Size * 2)
        {
            throw new FormatException($"an id is {Size * 2} hex characters, got \"{hex}\"");
        }

        return new BlobId(Convert.FromHexString(hex));
    }

    public static bool TryParse(string hex, out BlobId id)
    {
        id = default;
        if (hex.Length != Size * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        id = new BlobId(bytes);
        return true;
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    public string ToShortString() => ToString()[..8];

    public bool Equals(BlobId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is BlobId other && Equals(other);

    // SHA-256 output is uniform: the first 8 bytes are as good a hash as any.
    public override int GetHashCode() => (int)(_a ^ (_a >> 32));

    public int CompareTo(BlobId other) =>
        _a != other._a ? _a.CompareTo(other._a)
        : _b != other._b ? _b.CompareTo(other._b)
        : _c != other._c ? _c.CompareTo(other._c)
        : _d.CompareTo(other._d);

    public static bool operator ==(BlobId left, BlobId right) => left.Equals(right);

    public static bool operator !=(BlobId left, BlobId right) => !left.Equals(right);

    public static bool operator <(BlobId left, BlobId right) => left.CompareTo(right) < 0;

    public static bool operator >(BlobId left, BlobId right) => left.CompareTo(right) > 0;

    public static bool operator <=(BlobId left, BlobId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(BlobId left, BlobId right) => left.CompareTo(right) >= 0;
}

/// <summary>What a blob in a pack holds. Part of the AEAD associated data, so blobs cannot be swapped between types.</summary>
internal enum BlobType : byte
{
    Data = 1,
    Tree = 2,
}
