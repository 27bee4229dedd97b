using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Testing;

/// <summary>
/// A thread-safe in-memory <see cref="IObjectStore"/> honouring the seam's contract (atomic put,
/// read-after-write, one not-found error). <see cref="FailPutsAfter"/> makes every put after the
/// first N fail (before anything is stored), to simulate a crash or a dying target mid-backup.
/// </summary>
public sealed class InMemoryObjectStore : IObjectStore
{
    private readonly ConcurrentDictionary<string, (byte[] Data, DateTimeOffset Modified)> _objects = new(StringComparer.Ordinal);
    /// <summary>Where a repository keeps its packs (Core's internal <c>ObjectKeys.DataPrefix</c>).</summary>
    private const string PackPrefix = "data/";

    private int _puts;

    /// <summary>Distinct per store where several are combined (a restore's fallback sources refuse duplicates).</summary>
    public string Description { get; init; } = "memory:test";

    public ObjectStoreCapabilities Capabilities { get; init; } = new(null, 2, true);

    /// <summary>When set, puts number N+1, N+2, … throw a transient <see cref="ObjectStoreException"/>.</summary>
    public int? FailPutsAfter { get; set; }

    /// <summary>Called before each put with the key (e.g. to cancel a token at the N-th put).</summary>
    public Action<string>? BeforePut { get; set; }

    public int PutCount => Volatile.Read(ref _puts);

    public IReadOnlyCollection<string> Keys => [.. _objects.Keys.Order(StringComparer.Ordinal)];

    public byte[] this[string key]
    {
        get => _objects[key].Data;
        set => _objects[key] = (value, DateTimeOffset.UtcNow);
    }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        BeforePut?.Invoke(key);
        var n = Interlocked.Increment(ref _puts);
        if (FailPutsAfter is { } limit && n > limit)
        {
            throw new ObjectStoreException(Description, key, "injected failure", isTransient: true);
        }

        using var ms = new MemoryStream();
        await content.CopyToAsync(ms, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        _objects[key] = (ms.ToArray(), DateTimeOffset.UtcNow);
    }

    /// <summary>Reads of pack objects (keys under data/), whole or ranged.</summary>
    public int PackGetCount => Volatile.Read(ref _packGets);

    private int _packGets;

    /// <summary>Awaited at the start of every GetAsync (tests use it to hold or order reads).</summary>
    public Func<string, CancellationToken, Task>? BeforeGet { get; set; }

    public async Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (BeforeGet is { } beforeGet)
        {
            await beforeGet(key, cancellationToken).ConfigureAwait(false);
        }

        if (key.StartsWith(PackPrefix, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _packGets);
        }

        if (!_objects.TryGetValue(key, out var entry))
        {
            throw new ObjectNotFoundException(Description, key);
        }

        var data = entry.Data;
        if (range is not { } r)
        {
            return new MemoryStream(data, writable: false);
        }

        var offset = (int)Math.Min(r.Offset, data.Length);
        var length = (int)Math.Min(r.Length, data.Length - offset);
        return new MemoryStream(data, offset, length, writable: false);
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(_objects.TryGetValue(key, out var e) ? new ObjectInfo(key, e.Data.Length, e.Modified) : null);

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var (key, e) in _objects.ToArray())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return new ObjectInfo(key, e.Data.Length, e.Modified);
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        _objects.TryRemove(key, out _);
        return Task.CompletedTask;
    }
}
