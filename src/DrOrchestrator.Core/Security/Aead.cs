using System.Security.Cryptography;

namespace DrOrchestrator.Core.Security;

/// <summary>
/// AES-256-GCM sealing in the repository's one layout: nonce(12) | ciphertext | tag(16).
/// Nonces are random (96 bits): safe for ~2^32 seals per key, i.e. petabytes of 1 MiB chunks.
/// Not thread-safe (wraps one <see cref="AesGcm"/>); create one per worker.
/// </summary>
internal sealed class Aead : IDisposable
{
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = NonceSize + TagSize;

    private readonly AesGcm _gcm;

    public Aead(ReadOnlySpan<byte> key) => _gcm = new AesGcm(key, TagSize);

    /// <summary>Writes the sealed form of <paramref name="plain"/> to <paramref name="destination"/> (length + 28 bytes).</summary>
    public int Seal(ReadOnlySpan<byte> plain, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        var nonce = destination[..NonceSize];
        RandomNumberGenerator.Fill(nonce);
        var cipher = destination.Slice(NonceSize, plain.Length);
        var tag = destination.Slice(NonceSize + plain.Length, TagSize);
        _gcm.Encrypt(nonce, plain, cipher, tag, associatedData);
        return plain.Length + Overhead;
    }

    /// <summary>
    /// Seals in place: the plaintext sits at <c>buffer[12..12+payloadLength]</c>, the nonce is written
    /// before it and the tag after it. Saves a buffer per chunk in the backup pipeline.
    /// </summary>
    public int SealInPlace(Span<byte> buffer, int payloadLength, ReadOnlySpan<byte> associatedData)
    {
        var nonce = buffer[..NonceSize];
        RandomNumberGenerator.Fill(nonce);
        var payload = buffer.Slice(NonceSize, payloadLength);
        _gcm.Encrypt(nonce, payload, payload, buffer.Slice(NonceSize + payloadLength, TagSize), associatedData);
        return payloadLength + Overhead;
    }

    public byte[] Seal(ReadOnlySpan<byte> plain, ReadOnlySpan<byte> associatedData)
    {
        var result = new byte[plain.Length + Overhead];
        Seal(plain, associatedData, result);
        return result;
    }

    /// <summary>Opens a sealed buffer into <paramref name="destination"/> (sealed length − 28 bytes).</summary>
    /// <exception cref="CryptographicException">Wrong key, tampered data or wrong associated data.</exception>
    public int Open(ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        if (sealedData.Length < Overhead)
        {
            throw new CryptographicException($"sealed data is {sealedData.Length} bytes, shorter than nonce + tag");
        }

        var plainLength = sealedData.Length - Overhead;
        _gcm.Decrypt(
            sealedData[..NonceSize],
            sealedData.Slice(NonceSize, plainLength),
            sealedData.Slice(NonceSize + plainLength, TagSize),
            destination[..plainLength],
            associatedData);
        return plainLength;
    }

    public byte[] Open(ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> associatedData)
    {
        var result = new byte[Math.Max(0, sealedData.Length - Overhead)];
        Open(sealedData, associatedData, result);
        return result;
    }

    public void Dispose() => _gcm.Dispose();
}
