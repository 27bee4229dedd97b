using System.Security.Cryptography;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Storage.Tests.Conformance;

/// <summary>Hashing and reading helpers for byte-exact assertions.</summary>
public static class Content
{
    public const int MiB = 1024 * 1024;

    /// <summary>SHA-256 (hex) of <see cref="PatternStream"/>(length, seed), or of its [offset, offset+count) slice.</summary>
    public static string ExpectedSha256(long length, ulong seed, long offset = 0, long? count = null)
    {
        using var pattern = new PatternStream(length, seed) { Position = Math.Min(offset, length) };
        using var slice = new BoundedReadStream(pattern, count ?? length, leaveOpen: true);
        return Sha256(slice);
    }

    public static string Sha256(Stream stream)
    {
        using var sha = SHA256.Create();
        return Convert.ToHexStringLower(sha.ComputeHash(stream));
    }

    public static async Task<string> Sha256Async(Stream stream, CancellationToken cancellationToken = default)
    {
        using var sha = SHA256.Create();
        return Convert.ToHexStringLower(await sha.ComputeHashAsync(stream, cancellationToken));
    }

    /// <summary>Gets the object (or range) and hashes what comes back, streaming.</summary>
    public static async Task<string> GetSha256Async(this IObjectStore store, string key, ByteRange? range = null)
    {
        await using var stream = await store.GetAsync(key, range, CancellationToken.None);
        return await Sha256Async(stream);
    }

    public static async Task<byte[]> GetBytesAsync(this IObjectStore store, string key, ByteRange? range = null)
    {
        await using var stream = await store.GetAsync(key, range, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>Puts pattern content and returns its SHA-256.</summary>
    public static async Task<string> PutPatternAsync(this IObjectStore store, string key, long length, ulong seed, bool seekable = true)
    {
        await using var content = new PatternStream(length, seed, seekable);
        await store.PutAsync(key, content, CancellationToken.None);
        return ExpectedSha256(length, seed);
    }

    /// <summary>Puts pattern content from a temp file through a seekable FileStream, the way packs go up; returns its SHA-256.</summary>
    public static async Task<string> PutPatternFileAsync(this IObjectStore store, string key, long length, ulong seed)
    {
        var path = Path.GetTempFileName();
        try
        {
            await using (var pattern = new PatternStream(length, seed, seekable: false))
            await using (var write = File.Create(path))
            {
                await pattern.CopyToAsync(write);
            }

            await using var file = File.OpenRead(path);
            await store.PutAsync(key, file, CancellationToken.None);
            return ExpectedSha256(length, seed);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static async Task<List<ObjectInfo>> ListAllAsync(this IObjectStore store, string prefix)
    {
        var items = new List<ObjectInfo>();
        await foreach (var item in store.ListAsync(prefix, CancellationToken.None))
        {
            items.Add(item);
        }

        return items;
    }
}
