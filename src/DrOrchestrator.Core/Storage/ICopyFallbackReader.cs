namespace DrOrchestrator.Core.Storage;

/// <summary>
/// A store that holds several copies of each object (a fallback view over a policy's targets, a
/// pool's members) and can read them in turn until one both downloads and decodes: the engine
/// knows what a good config, key file, index or snapshot looks like, the store knows the copies.
/// </summary>
public interface ICopyFallbackReader
{
    /// <summary>
    /// Reads the whole object <paramref name="key"/> from the best copy and returns
    /// <paramref name="decode"/>'s result. A copy that cannot be read, or whose bytes
    /// <paramref name="decode"/> rejects (any exception), is reported (store, key, why) and the
    /// next copy is tried. When every copy was missing or rejected, the first rejection is
    /// rethrown; when some could not be read, an <see cref="ObjectStoreException"/> lists them all.
    /// Only for metadata objects (small enough to hold in memory), never whole packs.
    /// </summary>
    Task<T> ReadFirstGoodCopyAsync<T>(string key, Func<byte[], T> decode, CancellationToken cancellationToken);
}
