using System.Collections.Concurrent;
using System.Security.Cryptography;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Check;

/// <summary>
/// A check's view of one target: a metadata object (config, key file, index, snapshot) that
/// cannot be read or decoded is read again, with a new request, before it is called damaged
/// (issue 19 item 3). The stored copy is damaged <i>at rest</i> only when two reads return the
/// same bytes and those bytes do not decode; a read that decodes after failed ones was damaged
/// <i>in transit</i> — the object is intact, and the failed read is kept for
/// <see cref="TakeTransitErrors"/> so the check can report it as a warning. When three reads
/// neither decode nor agree, the object is reported as unverifiable rather than damaged.
/// </summary>
/// <remarks>
/// Through <see cref="ICopyFallbackReader"/>, so the engine needs nothing new: it already reads
/// every metadata object through it and says what "decodes" means. A healthy check costs nothing
/// more: the extra reads happen only for objects whose first read failed. Packs have their own
/// re-read (<see cref="PackVerifier"/>); trees, which live in packs, are re-read by the check run.
/// </remarks>
public sealed class RereadingObjectStore(IObjectStore inner) : IObjectStore, ICopyFallbackReader
{
    /// <summary>Reads of one object before it is called unverifiable (two agreeing bad reads end earlier).</summary>
    private const int MaxReads = 3;

    private readonly ConcurrentQueue<(string Key, string Why)> _transit = new();

    /// <summary>The hash of the config bytes handed out undecoded, see <see cref="ReadFirstGoodCopyAsync{T}"/>.</summary>
    private byte[]? _configHandedOut;

    public IObjectStore Inner => inner;

    public string Description => inner.Description;

    public string Location => inner.Location;

    public ObjectStoreCapabilities Capabilities => inner.Capabilities;

    /// <summary>The objects read damaged in transit since the last call (key, what the bad read gave).</summary>
    public IReadOnlyList<(string Key, string Why)> TakeTransitErrors()
    {
        var taken = new List<(string, string)>();
        while (_transit.TryDequeue(out var e))
        {
            taken.Add(e);
        }

        return taken;
    }

    public async Task<T> ReadFirstGoodCopyAsync<T>(string key, Func<byte[], T> decode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decode);
        var failures = new List<string>();
        var badContents = new List<byte[]>();
        if (key == ObjectKeys.Config && Interlocked.Exchange(ref _configHandedOut, null) is { } handedOut)
        {
            // The open reads the config's bytes undecoded (one request for the config and the key
            // file in parallel) and asks again only when they did not decode: those bytes are
            // this object's first bad read.
            badContents.Add(handedOut);
            failures.Add("the first read could not be decoded");
        }

        ObjectStoreException? lastReadError = null;
        for (var read = 0; read < MaxReads; read++)
        {
            byte[] bytes;
            try
            {
                bytes = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (e is not ObjectNotFoundException && e.IsTransient)
            {
                lastReadError = e;
                failures.Add(e.Message);
                continue;
            }

            T result;
            try
            {
                result = decode(bytes);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var hash = SHA256.HashData(bytes);
                if (badContents.Any(b => b.AsSpan().SequenceEqual(hash)))
                {
                    throw new RepositoryCorruptException(
                        $"{e.Message} — damaged at rest: a second read returned the same {bytes.Length} bytes", e);
                }

                badContents.Add(hash);
                failures.Add(e.Message);
                continue;
            }

            if (failures.Count > 0)
            {
                _transit.Enqueue((key, failures[0]));
            }
            else if (key == ObjectKeys.Config && typeof(T) == typeof(byte[]))
            {
                // Handed out undecoded: remember what it was, in case the caller cannot decode it.
                Volatile.Write(ref _configHandedOut, SHA256.HashData(bytes));
            }

            return result;
        }

        if (badContents.Count == 0 && lastReadError is not null)
        {
            throw lastReadError;
        }

        throw new RepositoryCorruptException(
            $"{Description}: {key}: read errors in transit: {failures.Count} reads failed or disagreed ({string.Join("; ", failures)}); the stored copy could not be verified");
    }

    public Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken) => inner.GetAsync(key, range, cancellationToken);

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) => inner.StatAsync(key, cancellationToken);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

    public Task PutAsync(string key, Stream content, CancellationToken cancellationToken) => inner.PutAsync(key, content, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    private async Task<byte[]> ReadAsync(string key, CancellationToken cancellationToken)
    {
        var stream = await inner.GetAsync(key, null, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
    }
}
