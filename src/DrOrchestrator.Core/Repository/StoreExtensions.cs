using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Repository;

internal static class StoreExtensions
{
    /// <summary>Reads a small object (or a range) fully. Only for metadata and single blobs, never whole packs.</summary>
    /// <remarks>A whole object from a store with several copies comes from the first copy that can be read completely.</remarks>
    public static async Task<byte[]> ReadAllBytesAsync(this IObjectStore store, string key, ByteRange? range, CancellationToken ct)
    {
        if (range is null && store is ICopyFallbackReader copies)
        {
            return await copies.ReadFirstGoodCopyAsync(key, static bytes => bytes, ct).ConfigureAwait(false);
        }

        var stream = await store.GetAsync(key, range, ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            if (range is { } r)
            {
                var buffer = new byte[r.Length];
                var read = await ReadFullyAsync(stream, buffer, ct).ConfigureAwait(false);
                return read == buffer.Length ? buffer : buffer[..read];
            }

            using var ms = new MemoryStream();
            await stream.CopyToAsync(ms, ct).ConfigureAwait(false);
            return ms.ToArray();
        }
    }

    /// <summary>
    /// Reads a whole metadata object and decodes it. From a store with several copies, a copy that
    /// cannot be read or that <paramref name="decode"/> rejects is reported and the next is used.
    /// </summary>
    public static async Task<T> ReadDecodedAsync<T>(this IObjectStore store, string key, Func<byte[], T> decode, CancellationToken ct)
    {
        if (store is ICopyFallbackReader copies)
        {
            return await copies.ReadFirstGoodCopyAsync(key, decode, ct).ConfigureAwait(false);
        }

        return decode(await store.ReadAllBytesAsync(key, null, ct).ConfigureAwait(false));
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns bytes read.</summary>
    public static async ValueTask<int> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[total..], ct).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    public static async Task<List<ObjectInfo>> ListAllAsync(this IObjectStore store, string prefix, CancellationToken ct)
    {
        var list = new List<ObjectInfo>();
        await foreach (var o in store.ListAsync(prefix, ct).ConfigureAwait(false))
        {
            list.Add(o);
        }

        return list;
    }
}
