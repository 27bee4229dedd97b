using System.Text;
using DrOrchestrator.Core.Security;
using ZstdSharp;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Seals a top-level object (config, index, snapshot): AES-256-GCM over flag u8 (0 = raw,
/// 1 = zstd) | payload, with associated data "drorch1:&lt;kind&gt;" so an index can never be read as a
/// snapshot or config.
/// </summary>
internal static class ObjectCodec
{
    public const string Config = "config";
    public const string Index = "index";
    public const string Snapshot = "snapshot";

    public static byte[] Seal(MasterKey key, string kind, ReadOnlySpan<byte> payload, bool compress)
    {
        byte[] plain;
        if (compress && payload.Length > 64)
        {
            using var compressor = new Compressor(3);
            var compressed = compressor.Wrap(payload);
            plain = new byte[compressed.Length + 1];
            plain[0] = 1;
            compressed.CopyTo(plain.AsSpan(1));
        }
        else
        {
            plain = new byte[payload.Length + 1];
            payload.CopyTo(plain.AsSpan(1));
        }

        using var aead = key.CreateAead();
        return aead.Seal(plain, AssociatedData(kind));
    }

    /// <exception cref="System.Security.Cryptography.CryptographicException">Tampered, foreign or wrong-kind object.</exception>
    /// <exception cref="FormatException">Unknown flag.</exception>
    public static byte[] Open(MasterKey key, string kind, ReadOnlySpan<byte> sealedObject)
    {
        using var aead = key.CreateAead();
        var plain = aead.Open(sealedObject, AssociatedData(kind));
        if (plain.Length == 0 || plain[0] > 1)
        {
            throw new FormatException($"{kind} object has an unknown encoding flag");
        }

        if (plain[0] == 0)
        {
            return plain[1..];
        }

        using var decompressor = new Decompressor();
        return decompressor.Unwrap(plain.AsSpan(1)).ToArray();
    }

    private static byte[] AssociatedData(string kind) => Encoding.ASCII.GetBytes("drorch1:" + kind);
}
