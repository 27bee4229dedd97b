using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace DrOrchestrator.Storage.S3;

/// <summary>The checksum headers of one upload body; the one not used is null.</summary>
internal readonly record struct BodyChecksum(string? ContentMd5, string? Crc32);

/// <summary>
/// Computes the one checksum the server verifies for an upload body, so a corrupted body is rejected
/// (the SDK's retries then resend it). Which one depends on what the server accepts:
/// <list type="bullet">
/// <item>SDK flexible checksums on and aws-chunked allowed (AWS): nothing here — the SDK streams a
/// CRC32 trailer while sending, without an extra pass.</item>
/// <item>Flexible checksums on, <see cref="S3TargetOptions.DisableChunkEncoding"/>: a CRC32 header
/// computed here. Left to the SDK, an unsigned body would get the CRC32 as an aws-chunked trailer,
/// which such servers store as object bytes.</item>
/// <item><see cref="S3TargetOptions.ChecksumsWhenRequiredOnly"/> (compatibles that reject CRC
/// headers): Content-MD5, which every S3 implementation understands.</item>
/// </list>
/// </summary>
internal sealed class S3BodyChecksum(S3TargetOptions options)
{
    private const int ReadBuffer = 1 << 20;

    private readonly bool _md5 = options.ChecksumsWhenRequiredOnly;
    private readonly bool _crc32 = !options.ChecksumsWhenRequiredOnly && options.DisableChunkEncoding;

    /// <summary>True when <see cref="OfStreamAsync"/> has to read the body (otherwise the SDK checksums it while sending).</summary>
    public bool ComputedHere => _md5 || _crc32;

    public BodyChecksum Of(ReadOnlySpan<byte> body) =>
        _md5 ? new BodyChecksum(Convert.ToBase64String(HashMd5(body)), null)
        : _crc32 ? new BodyChecksum(null, Crc32Base64(Crc32.HashToUInt32(body)))
        : default;

    /// <summary>Checksum of a seekable stream from its current position to the end; the position is restored.</summary>
    public async Task<BodyChecksum> OfStreamAsync(Stream body, CancellationToken cancellationToken)
    {
        if (!ComputedHere)
        {
            return default;
        }

        var start = body.Position;
#pragma warning disable CA5351 // Content-MD5 is S3's integrity check of the body, not a security use of MD5.
        using var md5 = _md5 ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
#pragma warning restore CA5351
        var crc = _crc32 ? new Crc32() : null;
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBuffer);
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(0, ReadBuffer), cancellationToken).ConfigureAwait(false)) > 0)
            {
                md5?.AppendData(buffer, 0, read);
                crc?.Append(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        body.Position = start;
        return new BodyChecksum(
            md5 is null ? null : Convert.ToBase64String(md5.GetHashAndReset()),
            crc is null ? null : Crc32Base64(crc.GetCurrentHashAsUInt32()));
    }

    /// <summary>S3's x-amz-checksum-crc32 value: the CRC's four bytes big-endian, base64.</summary>
    internal static string Crc32Base64(uint crc)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, crc);
        return Convert.ToBase64String(bytes);
    }

#pragma warning disable CA5351 // see above
    private static byte[] HashMd5(ReadOnlySpan<byte> body) => MD5.HashData(body);
#pragma warning restore CA5351
}
