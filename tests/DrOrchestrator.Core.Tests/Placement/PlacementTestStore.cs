using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Core.Tests.Placement;

/// <summary>
/// A thread-safe in-memory object store for placement tests, with switches to simulate an outage
/// (<see cref="IsDown"/>), a missing object (<see cref="Hide"/>) and corrupted bytes
/// (<see cref="Corrupt"/>), and counters of the calls it received.
/// </summary>
internal sealed class PlacementTestStore : IObjectStore
{
    private readonly ConcurrentDictionary<string, byte[]> _objects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _hidden = new(StringComparer.Ordinal);
    private int _puts;
    private int _gets;
    private int _deletes;

    public PlacementTestStore(string name, bool isLocal = true)
    {
        Description = "mem:" + name;
        Capabilities = new ObjectStoreCapabilities(MaxObjectSize: null, RecommendedConcurrency: 4, isLocal);
    }

    public string Description { get; }

    public ObjectStoreCapabilities Capabilities { get; }

    /// <summary>While true every call throws a transient <see cref="ObjectStoreException"/> ("simulated outage").</summary>
    public bool IsDown { get; set; }

    /// <summary>Runs at the start of every get (e.g. to advance a fake clock and simulate latency).</summary>
    public Action? BeforeGet { get; set; }

    public int PutCount => Volatile.Read(ref _puts);

    public int GetCount => Volatile.Read(ref _gets);

    public int DeleteCount => Volatile.Read(ref _deletes);

    public IReadOnlyCollection<string> Keys => [.. _objects.Keys.Where(k => !_hidden.ContainsKey(k))];

    public bool Contains(string key) => _objects.ContainsKey(key) && !_hidden.ContainsKey(key);

    public byte[] Bytes(string key) => _objects[key];

    /// <summary>Makes <paramref name="key"/> look absent (get → not found, stat → null, list skips it).</summary>
    public void Hide(string key) => _hidden[key] = 0;

    /// <summary>Flips one byte of the stored object in place, as bit rot would.</summary>
    public void Corrupt(string key)
    {
        var bytes = _objects[key];
        bytes[bytes.Length / 2] ^= 0xFF;
    }

    /// <summary>Stores bytes directly, bypassing counters and the outage switch.</summary>
    public void Seed(string key, byte[] content) => _objects[key] = [.. content];

    public void ResetCounters()
    {
        Volatile.Write(ref _puts, 0);
        Volatile.Write(ref _gets, 0);
        Volatile.Write(ref _deletes, 0);
    }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ThrowIfDown(key);
        Interlocked.Increment(ref _puts);
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        _objects[key] = buffer.ToArray();
        _hidden.TryRemove(key, out _);
    }

    public Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        BeforeGet?.Invoke();
        ThrowIfDown(key);
        Interlocked.Increment(ref _gets);
        if (!Contains(key))
        {
            throw new ObjectNotFoundException(Description, key);
        }

        var bytes = _objects[key];
        var offset = (int)Math.Min(range?.Offset ?? 0, bytes.Length);
        var length = (int)Math.Min(range?.Length ?? bytes.Length, bytes.Length - offset);
        return Task.FromResult<Stream>(new MemoryStream(bytes, offset, length, writable: false));
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken)
    {
        ThrowIfDown(key);
        return Task.FromResult(Contains(key) ? new ObjectInfo(key, _objects[key].Length, DateTimeOffset.UnixEpoch) : null);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIfDown(null);
        await Task.Yield();
        foreach (var key in Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ObjectInfo(key, _objects[key].Length, DateTimeOffset.UnixEpoch);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ThrowIfDown(key);
        Interlocked.Increment(ref _deletes);
        _objects.TryRemove(key, out _);
        _hidden.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    /// <summary>A pack as the repository writes it: random bytes stored under data/&lt;2 hex&gt;/&lt;their SHA-256&gt;.</summary>
    public static (string Key, byte[] Content) NewPack(int size = 4096)
    {
        var content = RandomNumberGenerator.GetBytes(size);
        var hex = Convert.ToHexStringLower(SHA256.HashData(content));
        return ($"data/{hex[..2]}/{hex}", content);
    }

    /// <summary>Syntactically valid pack keys for placement statistics (no content).</summary>
    public static IReadOnlyList<string> PackKeys(int count) =>
        [.. Enumerable.Range(0, count).Select(i =>
        {
            var hex = Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)));
            return $"data/{hex[..2]}/{hex}";
        })];

    private void ThrowIfDown(string? key)
    {
        if (IsDown)
        {
            throw new ObjectStoreException(Description, key, "simulated outage", isTransient: true);
        }
    }
}
