using DrOrchestrator.Core.Backup;
using Microsoft.Win32.SafeHandles;

namespace DrOrchestrator.Core.Restore;

/// <summary>
/// The budget behind <see cref="PageCacheReleaser"/>, used by one thread at a time: each added
/// file's write-back is started (<c>sync_file_range</c>, no wait) and the file joins the queue;
/// while more than the byte or file budget is queued, the oldest file's pages — written back by
/// then — are dropped (<c>posix_fadvise DONTNEED</c>) and it is closed. Linux only.
/// </summary>
internal sealed class WrittenFileQueue(long byteBudget, int fileBudget) : IDisposable
{
    private readonly Queue<(SafeFileHandle File, long Length)> _queue = new();
    private long _queuedBytes;

    /// <summary>Files still open in the queue.</summary>
    public int Count => _queue.Count;

    /// <summary>Takes ownership of <paramref name="file"/>.</summary>
    public void Add(SafeFileHandle file, long length)
    {
        UnixFileSystem.StartWriteBack(file);
        _queue.Enqueue((file, length));
        _queuedBytes += length;
        while (_queue.Count > fileBudget || _queuedBytes > byteBudget)
        {
            var (oldest, oldestLength) = _queue.Dequeue();
            _queuedBytes -= oldestLength;
            UnixFileSystem.DropCachedPages(oldest);
            oldest.Dispose();
        }
    }

    /// <summary>Closes what is still queued; its pages stay cached and the kernel writes them back as usual.</summary>
    public void Dispose()
    {
        while (_queue.TryDequeue(out var entry))
        {
            entry.File.Dispose();
        }

        _queuedBytes = 0;
    }
}
