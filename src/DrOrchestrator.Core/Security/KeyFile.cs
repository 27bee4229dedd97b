using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Security;

/// <summary>
/// A plaintext <c>keys/&lt;id&gt;</c> object: how to turn a passphrase into a key-encryption key
/// (PBKDF2-HMAC-SHA256, salt, iterations) and the master key sealed with it (AES-256-GCM,
/// associated data "drorch1:key"). Several key files may open the same repository.
/// </summary>
internal sealed record KeyFile(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("kdf")] string Kdf,
    [property: JsonPropertyName("iterations")] int Iterations,
    [property: JsonPropertyName("salt")] string Salt,
    [property: JsonPropertyName("data")] string Data,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("hostname")] string Hostname)
{
    public const string KdfName = "pbkdf2-sha256";
    private static readonly byte[] AssociatedData = "drorch1:key"u8.ToArray();

    public static KeyFile Create(RepositoryKey key, MasterKey master, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(32);
        var kek = Derive(key, salt, iterations);
        using var aead = new Aead(kek);
        var sealedKey = aead.Seal(master.Bytes, AssociatedData);
        CryptographicOperations.ZeroMemory(kek);
        return new KeyFile(1, KdfName, iterations, Convert.ToBase64String(salt), Convert.ToBase64String(sealedKey),
            DateTimeOffset.UtcNow, Environment.MachineName);
    }

    /// <summary>The master key, or null when <paramref name="key"/> does not open this key file.</summary>
    public MasterKey? TryOpen(RepositoryKey key)
    {
        if (Version != 1 || Kdf != KdfName || Iterations < 1000)
        {
            return null;
        }

        var kek = Derive(key, Convert.FromBase64String(Salt), Iterations);
        try
        {
            using var aead = new Aead(kek);
            return new MasterKey(aead.Open(Convert.FromBase64String(Data), AssociatedData));
        }
        catch (CryptographicException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    public byte[] Serialize() => RepositoryJson.Serialize(this);

    public static KeyFile? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            return RepositoryJson.Deserialize<KeyFile>(json, "key");
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return null;
        }
    }

    public override string ToString() => $"KeyFile({Kdf}, {Iterations} iterations)";

    /// <summary>
    /// The key-encryption key for this passphrase, salt and iteration count: derived once per
    /// process. A command opens the same repository more than once (a backup, then its system
    /// record; `init`, then the first backup) and each PBKDF2 of 600,000 rounds costs ~0.2 s of
    /// CPU. Caching it holds nothing the process does not hold already: the passphrase and the
    /// master key it opens are in memory too. Returns a copy the caller may zero.
    /// </summary>
    private static byte[] Derive(RepositoryKey key, byte[] salt, int iterations)
    {
        var cacheKey = DerivationCacheKey(key, salt, iterations);
        if (DerivedKeys.TryGetValue(cacheKey, out var cached))
        {
            return (byte[])cached.Clone();
        }

        var kek = Rfc2898DeriveBytes.Pbkdf2(key.SecretBytes, salt, iterations, HashAlgorithmName.SHA256, 32);
        if (DerivedKeys.Count >= MaxDerivedKeys)
        {
            // A long-running service meets few passphrases; a bound keeps a pathological caller from growing it.
            DerivedKeys.Clear();
        }

        DerivedKeys[cacheKey] = (byte[])kek.Clone();
        return kek;
    }

    private const int MaxDerivedKeys = 64;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> DerivedKeys = new(StringComparer.Ordinal);

    /// <summary>A one-way name for (passphrase, salt, iterations): the passphrase itself is never a dictionary key.</summary>
    private static string DerivationCacheKey(RepositoryKey key, byte[] salt, int iterations)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(key.SecretBytes);
        hash.AppendData(salt);
        Span<byte> count = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(count, iterations);
        hash.AppendData(count);
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
