using System.Collections.Concurrent;

namespace DrOrchestrator.Core.Repository;

/// <summary>
/// Verified blobs that were read ahead of need. Each entry is handed out once (a walk asks for a
/// tree once; a second ask reads it again), and past <c>maxBytes</c> new entries are simply not
/// kept, so the cache can cost memory only while a walk is ahead of its reads. Thread-safe.
/// </summary>
internal sealed class ReadAheadCache(long maxBytes)
{
    private readonly ConcurrentDictionary<BlobId, byte[]> _entries = new();
    private long _bytes;

    public void TryAdd(BlobId id, byte[] plain)
    {
        if (Interlocked.Add(ref _bytes, plain.Length) > maxBytes || !_entries.TryAdd(id, plain))
        {
            Interlocked.Add(ref _bytes, -plain.Length);
        }
    }

    public byte[]? TryTake(BlobId id)
    {
        if (!_entries.TryRemove(id, out var plain))
        {
            return null;
        }

        Interlocked.Add(ref _bytes, -plain.Length);
        return plain;
    }
}
