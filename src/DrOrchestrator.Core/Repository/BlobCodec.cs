using System.Buffers;
using System.Security.Cryptography;
using DrOrchestrator.Core.Compression;
using DrOrchestrator.Core.Security;

namespace DrOrchestrator.Core.Repository;

/// <summary>A sealed blob in a pooled buffer; whoever consumes it returns <see cref="Buffer"/> to the pool.</summary>
internal sealed record SealedBlob(BlobType Type, BlobId Id, byte[] Buffer, int Length, uint PlainLength, bool Compressed);

/// <summary>
/// Compress-then-encrypt (and back) for blobs. One per worker thread: owns zstd contexts and an
/// AES-GCM instance, neither of which is thread-safe (contexts are allocated on first use, so
/// readers never pay for a compression context). A blob is stored uncompressed when zstd does
/// not make it smaller (the per-blob flag lives in the pack header and index).
/// </summary>
internal sealed class BlobCodec : IDisposable
{
    private readonly ArrayPool<byte> _pool;
    private readonly Aead _aead;
    private readonly int _compressionLevel;
    private readonly ZstdContext _zstd = ZstdContext.Create();
    private byte[]? _scratch;

    public BlobCodec(MasterKey key, int compressionLevel, ArrayPool<byte> pool)
    {
        _pool = pool;
        _aead = key.CreateAead();
        _compressionLevel = compressionLevel;
    }

    /// <summary>
    /// Compresses and seals a chunk inside its own buffer: the plain chunk sits at
    /// <c>buffer[12..12+plainLength]</c> and the buffer holds at least plainLength + 28 bytes.
    /// The returned blob owns <paramref name="buffer"/>.
    /// </summary>
    public SealedBlob SealInPlace(BlobType type, BlobId id, byte[] buffer, int plainLength)
    {
        Span<byte> ad = stackalloc byte[PackEntry.AssociatedDataSize];
        PackEntry.AssociatedData(type, id, ad);
        var plain = buffer.AsSpan(Aead.NonceSize, plainLength);
        var bound = ZstdContext.CompressBound(plainLength);
        if (_scratch is null || _scratch.Length < bound)
        {
            if (_scratch is not null)
            {
                _pool.Return(_scratch);
            }

            _scratch = _pool.Rent(bound);
        }

        var compressedLength = plainLength > 32 ? _zstd.Compress(plain, _scratch, _compressionLevel) : int.MaxValue;
        var compressed = compressedLength < plainLength;
        if (compressed)
        {
            _scratch.AsSpan(0, compressedLength).CopyTo(plain);
        }

        var n = _aead.SealInPlace(buffer, compressed ? compressedLength : plainLength, ad);
        return new SealedBlob(type, id, buffer, n, (uint)plainLength, compressed);
    }

    public SealedBlob Seal(BlobType type, BlobId id, ReadOnlySpan<byte> plain)
    {
        Span<byte> ad = stackalloc byte[PackEntry.AssociatedDataSize];
        PackEntry.AssociatedData(type, id, ad);
        var scratch = _pool.Rent(ZstdContext.CompressBound(plain.Length));
        try
        {
            var compressedLength = plain.Length > 32 ? _zstd.Compress(plain, scratch, _compressionLevel) : int.MaxValue;
            var compressed = compressedLength < plain.Length;
            var payload = compressed ? scratch.AsSpan(0, compressedLength) : plain;
            var output = _pool.Rent(payload.Length + Aead.Overhead);
            var n = _aead.Seal(payload, ad, output);
            return new SealedBlob(type, id, output, n, (uint)plain.Length, compressed);
        }
        finally
        {
            _pool.Return(scratch);
        }
    }

    /// <summary>
    /// Decrypts and decompresses a sealed blob into a pooled buffer of at least <c>location.PlainLength</c>
    /// bytes (caller returns it). Throws <see cref="CryptographicException"/> or <see cref="InvalidDataException"/> when corrupt.
    /// </summary>
    public byte[] Open(BlobId id, in BlobLocation location, ReadOnlySpan<byte> sealedBlob)
    {
        Span<byte> ad = stackalloc byte[PackEntry.AssociatedDataSize];
        PackEntry.AssociatedData(location.Type, id, ad);
        var plainLength = (int)location.PlainLength;
        var output = _pool.Rent(Math.Max(1, plainLength));
        try
        {
            if (!location.Compressed)
            {
                var n = _aead.Open(sealedBlob, ad, output);
                if (n != plainLength)
                {
                    throw new InvalidDataException($"blob {id.ToShortString()} is {n} bytes, index says {plainLength}");
                }

                return output;
            }

            var compressed = _pool.Rent(Math.Max(1, sealedBlob.Length));
            try
            {
                var c = _aead.Open(sealedBlob, ad, compressed);
                int n;
                try
                {
                    n = _zstd.Decompress(compressed.AsSpan(0, c), output.AsSpan(0, plainLength));
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"blob {id.ToShortString()} does not decompress: {e.Message}", e);
                }

                if (n != plainLength)
                {
                    throw new InvalidDataException($"blob {id.ToShortString()} decompresses to {n} bytes, index says {plainLength}");
                }

                return output;
            }
            finally
            {
                _pool.Return(compressed);
            }
        }
        catch
        {
            _pool.Return(output);
            throw;
        }
    }

    public void Dispose()
    {
        if (_scratch is not null)
        {
            _pool.Return(_scratch);
            _scratch = null;
        }

        _aead.Dispose();
        _zstd.Dispose();
    }
}
