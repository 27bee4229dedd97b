using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DrOrchestrator.Core.Storage;

namespace DrOrchestrator.Testing;

/// <summary>Where a put of <see cref="InPlaceObjectStore"/> is when its <see cref="InPlaceObjectStore.Pause"/> is called.</summary>
public enum InPlaceStage
{
    /// <summary>Before the request reaches the server (waiting for a pooled connection): nothing stored yet.</summary>
    Queued,

    /// <summary>The object was truncated and this many bytes of the body written over it.</summary>
    Body,

    /// <summary>The whole body is written; the answer is about to be sent.</summary>
    Answer,
}

/// <summary>One put's position, handed to <see cref="InPlaceObjectStore.Pause"/>.</summary>
public readonly record struct InPlacePut(int Number, string Key, InPlaceStage Stage, long Bytes);

/// <summary>
/// A thread-safe in-memory store that writes a put's body into the stored object as it arrives,
/// as s3rver does: when the request reaches the server the object is truncated, each chunk is
/// written at the put's own offset (a later writer's truncation leaves a hole of zeros before an
/// earlier writer's next chunk, as with a file opened twice), and a put that ends early — cancelled
/// mid-body — leaves what it wrote under the key. Not atomic, on purpose: it is the server that
/// hedged puts must not damage (docs/decisions.md §64, §69).
/// </summary>
public sealed class InPlaceObjectStore : IObjectStore
{
    /// <summary>The body is written in chunks of this size, with <see cref="Pause"/> after each.</summary>
    public const int Chunk = 64 * 1024;

    private readonly ConcurrentDictionary<string, StoredObject> _objects = new(StringComparer.Ordinal);
    private int _puts;

    public string Description { get; init; } = "in-place:test";

    public ObjectStoreCapabilities Capabilities { get; init; } = new(null, 2, true);

    /// <summary>Puts started so far (numbered from 1 in that order).</summary>
    public int PutCount => Volatile.Read(ref _puts);

    /// <summary>
    /// Awaited at each stage of every put with the put's token (tests hold a put there: queued,
    /// mid-body, before its answer); a put cancelled while paused mid-body leaves what it wrote.
    /// </summary>
    public Func<InPlacePut, CancellationToken, Task>? Pause { get; set; }

    /// <summary>
    /// Read each body to its end and rewind it before the request is sent, as the S3 uploader
    /// does to checksum a pack (and the SDK to hash an unsigned payload).
    /// </summary>
    public bool ReadsBodyBeforeSending { get; set; }

    /// <summary>The stored bytes of <paramref name="key"/> now (a copy), or null.</summary>
    public byte[]? Peek(string key) => _objects.TryGetValue(key, out var stored) ? stored.Snapshot() : null;

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var number = Interlocked.Increment(ref _puts);
        if (ReadsBodyBeforeSending)
        {
            var start = content.Position;
            await content.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            content.Position = start;
        }

        await PauseAsync(new InPlacePut(number, key, InPlaceStage.Queued, 0), cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var stored = _objects.GetOrAdd(key, _ => new StoredObject());
        stored.Truncate();
        var buffer = new byte[Chunk];
        long offset = 0;
        int read;
        while ((read = await content.ReadAtLeastAsync(buffer, Chunk, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false)) > 0)
        {
            stored.WriteAt(offset, buffer.AsSpan(0, read));
            offset += read;
            await PauseAsync(new InPlacePut(number, key, InPlaceStage.Body, offset), cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        await PauseAsync(new InPlacePut(number, key, InPlaceStage.Answer, offset), cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    public Task<Stream> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var data = Peek(key) ?? throw new ObjectNotFoundException(Description, key);
        var offset = (int)Math.Min(range?.Offset ?? 0, data.Length);
        var length = (int)Math.Min(range?.Length ?? data.Length, data.Length - offset);
        return Task.FromResult<Stream>(new MemoryStream(data, offset, length, writable: false));
    }

    public Task<ObjectInfo?> StatAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(Peek(key) is { } data ? new ObjectInfo(key, data.Length, DateTimeOffset.UtcNow) : null);

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var key in _objects.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Peek(key) is { } data)
            {
                yield return new ObjectInfo(key, data.Length, DateTimeOffset.UtcNow);
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        _objects.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    private Task PauseAsync(InPlacePut put, CancellationToken cancellationToken) =>
        Pause?.Invoke(put, cancellationToken) ?? Task.CompletedTask;

    /// <summary>An object's bytes, written in place like a file (truncate, write at an offset, holes read as zeros).</summary>
    private sealed class StoredObject
    {
        private readonly Lock _gate = new();
        private byte[] _data = [];
        private long _length;

        public void Truncate()
        {
            lock (_gate)
            {
                _length = 0;
            }
        }

        public void WriteAt(long offset, ReadOnlySpan<byte> bytes)
        {
            lock (_gate)
            {
                var end = offset + bytes.Length;
                if (end > _data.Length)
                {
                    Array.Resize(ref _data, (int)Math.Max(end, 2L * _data.Length));
                }

                if (offset > _length)
                {
                    Array.Clear(_data, (int)_length, (int)(offset - _length));
                }

                bytes.CopyTo(_data.AsSpan((int)offset));
                _length = Math.Max(_length, end);
            }
        }

        public byte[] Snapshot()
        {
            lock (_gate)
            {
                return _data.AsSpan(0, (int)_length).ToArray();
            }
        }
    }
}
