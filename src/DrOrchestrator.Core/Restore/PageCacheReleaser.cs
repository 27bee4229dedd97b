using System.Diagnostics.CodeAnalysis;
using DrOrchestrator.Core.Backup;
using Microsoft.Win32.SafeHandles;

namespace DrOrchestrator.Core.Restore;

/// <summary>
/// Takes finished files out of the page cache while a restore goes on, so restoring gigabytes
/// does not push the host's other services out of memory for data nobody is about to read.
/// Each verified file's write-back is started at once (<c>sync_file_range</c>, no wait) and the
/// file joins a queue; once more than a budget of bytes (or of open files) stands behind it, its
/// pages — written back by then — are dropped (<c>posix_fadvise DONTNEED</c>) and it is closed.
/// </summary>
/// <remarks>
/// Why this pays even on an idle machine: a freshly written page needs a free page, and on
/// virtual machines that hand unused memory back to the hypervisor (free page reporting, as on
/// this project's CI and benchmark machine) every such page costs a hypervisor fault on first
/// touch — measured at 1–3 s of kernel CPU per 2 GiB written. Dropped pages are taken again by
/// the next writes within milliseconds, before they are ever reported, so a restore keeps
/// reusing a working set of about <see cref="ByteBudget"/> (see docs/decisions.md §12).
/// The budget must outlast the device's write-back of the files behind it: pages still dirty or
/// under write-back are not dropped (harmless: they stay cached as before). Files still queued
/// when the restore ends are just closed; the kernel writes them back as it would have anyway.
/// </remarks>
internal sealed class PageCacheReleaser(long byteBudget = PageCacheReleaser.ByteBudget, int fileBudget = PageCacheReleaser.FileBudget) : IDisposable
{
    /// <summary>Bytes queued before the oldest file's pages are dropped; 64 MiB and less let too many pages still be in write-back.</summary>
    public const long ByteBudget = 256L << 20;

    /// <summary>
    /// Smaller files are just closed and left to the kernel, which writes many small files back in
    /// a few large requests; starting write-back per file would send each as its own small one.
    /// </summary>
    public const long MinimumFileBytes = 1 << 20;

    /// <summary>Open handles queued at most (a tree of small files must not run into the descriptor limit).</summary>
    public const int FileBudget = 256;

    private readonly Lock _lock = new();
    private readonly Queue<(SafeFileHandle File, long Length)> _queue = new();
    private long _queuedBytes;
    private bool _disposed;

    /// <summary>Takes ownership of <paramref name="file"/> (a complete, verified file) and closes it sooner or later.</summary>
    public void Release(SafeFileHandle file, long length)
    {
        if (length < MinimumFileBytes || !OperatingSystem.IsLinux())
        {
            file.Dispose();
            return;
        }

        UnixFileSystem.StartWriteBack(file);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _queue.Enqueue((file, length));
            _queuedBytes += length;
        }

        // Outside the lock: the other restore workers never wait on these system calls.
        while (TryTakeOldestOverBudget(out var due))
        {
            UnixFileSystem.DropCachedPages(due);
            due.Dispose();
        }
    }

    private bool TryTakeOldestOverBudget([NotNullWhen(true)] out SafeFileHandle? due)
    {
        lock (_lock)
        {
            if (_queue.Count <= fileBudget && _queuedBytes <= byteBudget)
            {
                due = null;
                return false;
            }

            var (file, length) = _queue.Dequeue();
            _queuedBytes -= length;
            due = file;
            return true;
        }
    }

    /// <summary>Number of files still open in the queue.</summary>
    public int Queued
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            while (_queue.TryDequeue(out var entry))
            {
                entry.File.Dispose();
            }

            _queuedBytes = 0;
        }
    }
}
