using System.Collections.Concurrent;

namespace DrOrchestrator.Core.Storage.Composite;

/// <summary>
/// A read view that turns every ranged read of a pack (<c>data/…</c>) into one whole-pack read
/// from the inner store, kept in a small cache of temp files and served range by range.
/// </summary>
/// <remarks>
/// Why: a pack's key is the SHA-256 of its bytes, so only a whole-pack read can be verified —
/// and only a verified read lets <see cref="FallbackObjectStore"/> notice a bad copy and move on
/// to the next one *before* a single byte of it reaches a restored file. Put over a fallback
/// store, a restore therefore never sees a corrupt copy while a good one exists. Restores read
/// most of each pack anyway (neighbouring blobs share one read), so the extra transfer is small;
/// single-target restores do not use this layer at all.
/// Memory stays flat: packs go to temp files, at most <see cref="CachedPacks"/> of them at once.
/// Writes are refused: it is a read view.
/// </remarks>
public sealed class VerifiedPackReadStore : IObjectStore, ICopyFallbackReader, IDisposable
{
    private readonly IObjectStore _inner;
    private readonly string _directory;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _packs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public VerifiedPackReadStore(IObjectStore inner, int cachedPacks = 8)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(cachedPacks, 1);
        _inner = inner;
        CachedPacks = cachedPacks;
        _directory = Directory.CreateTempSubdirectory("drorch-packs-").FullName;
    }

    public int CachedPacks { get; }

    public string Description => _inner.Description;

    public ObjectStoreCapabilities Capabilities => _inner.Capabilities;

    public async Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        if (range is not { } r || !RepositoryKeys.TryGetPackHash(key, out _))
        {
            return await _inner.GetAsync(key, range, cancellationToken).ConfigureAwait(false);
        }

        var path = await _packs.GetOrAdd(key, k => new Lazy<Task<string>>(() => FetchAsync(k, cancellationToken))).Value.ConfigureAwait(false);
        var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read | FileShare.Delete, Options = FileOptions.Asynchronous });
        var offset = Math.Min(r.Offset, file.Length);
        file.Position = offset;
        return new BoundedReadStream(file, Math.Min(r.Length, file.Length - offset));
    }

    /// <summary>Through the inner store's copies when it has several; otherwise one read, then <paramref name="decode"/>.</summary>
    public async Task<T> ReadFirstGoodCopyAsync<T>(string key, Func<byte[], T> decode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decode);
        if (_inner is ICopyFallbackReader copies)
        {
            return await copies.ReadFirstGoodCopyAsync(key, decode, cancellationToken).ConfigureAwait(false);
        }

        var stream = await _inner.GetAsync(key, null, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return decode(buffer.ToArray());
        }
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) => _inner.StatAsync(key, cancellationToken);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => _inner.ListAsync(prefix, cancellationToken);

    public Task PutAsync(string key, Stream content, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"{Description}: read-only view, cannot write {key}");

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"{Description}: read-only view, cannot delete {key}");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A reader still holds a file open on a platform that forbids deleting it; temp is cleaned later.
        }
    }

    private async Task<string> FetchAsync(string key, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_directory, Path.GetFileName(key));
        try
        {
            var source = await _inner.GetAsync(key, null, cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                var target = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous);
                await using (target.ConfigureAwait(false))
                {
                    await source.CopyToAsync(target, 1 << 20, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            // Never cache a failure: the next reader asks again (perhaps another copy is back).
            _packs.TryRemove(key, out _);
            File.Delete(path);
            throw;
        }

        Remember(key);
        return path;
    }

    /// <summary>Evicts the oldest packs beyond the cache size; open readers keep their (unlinked) file.</summary>
    private void Remember(string key)
    {
        _order.Enqueue(key);
        while (_order.Count > CachedPacks && _order.TryDequeue(out var oldest))
        {
            if (_packs.TryRemove(oldest, out _))
            {
                File.Delete(Path.Combine(_directory, Path.GetFileName(oldest)));
            }
        }
    }
}
