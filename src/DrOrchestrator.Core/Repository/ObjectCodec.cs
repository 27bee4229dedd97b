using System.Text;
using DrOrchestrator.Core.Compression;
using DrOrchestrator.Core.Security;

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
    public const string Deletion = "deletion";

    public static byte[] Seal(MasterKey key, string kind, ReadOnlySpan<byte> payload, bool compress)
    {
        byte[] plain;
        if (compress && payload.Length > 64)
        {
            using var zstd = ZstdContext.Create();
            var frame = new byte[ZstdContext.CompressBound(payload.Length) + 1];
            var n = zstd.Compress(payload, frame.AsSpan(1), level: 3);
            frame[0] = 1;
            plain = frame[..(n + 1)];
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
    /// <exception cref="FormatException">Unknown flag, or a payload that does not decompress.</exception>
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

        using var zstd = ZstdContext.Create();
        try
        {
            return zstd.Decompress(plain.AsSpan(1));
        }
        catch (InvalidDataException e)
        {
            throw new FormatException($"{kind} object does not decompress: {e.Message}", e);
        }
    }

    private static byte[] AssociatedData(string kind) => Encoding.ASCII.GetBytes("drorch1:" + kind);
}
