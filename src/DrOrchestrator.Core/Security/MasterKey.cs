using System.Security.Cryptography;

namespace DrOrchestrator.Core.Security;

/// <summary>
/// The repository's random master key: 32 bytes for AES-256-GCM plus 32 bytes reserved for a
/// MAC/id key (format version 1 does not use it; it is stored so later versions need no re-key).
/// </summary>
internal sealed class MasterKey
{
    public const int Size = 64;

    private readonly byte[] _bytes;

    public MasterKey(byte[] bytes)
    {
        if (bytes.Length != Size)
        {
            throw new CryptographicException($"master key must be {Size} bytes, got {bytes.Length}");
        }

        _bytes = bytes;
    }

    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(Size));

    public ReadOnlySpan<byte> EncryptionKey => _bytes.AsSpan(0, 32);

    public ReadOnlySpan<byte> Bytes => _bytes;

    public Aead CreateAead() => new(EncryptionKey);

    /// <summary>
    /// A 32-byte key for one local purpose (HKDF-SHA256 over the whole master key, the purpose as
    /// info): keys for things that never enter the repository, such as the local index cache's
    /// MAC, so none of them can be confused with the repository's own encryption key.
    /// </summary>
    public byte[] DeriveKey(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _bytes, 32, salt: [], info: System.Text.Encoding.UTF8.GetBytes(purpose));

    public override string ToString() => "MasterKey(***)";
}
