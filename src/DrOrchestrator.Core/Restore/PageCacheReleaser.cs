using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;

namespace DrOrchestrator.Core.Restore;

/// <summary>
/// Takes finished files out of the page cache while a restore goes on, so restoring gigabytes
/// does not push the host's other services out of memory for data nobody is about to read.
/// Verified files of at least <see cref="MinimumFileBytes"/> go through a bounded channel to one
/// background task, which starts their write-back and drops their pages once
/// <see cref="ByteBudget"/> (or <see cref="FileBudget"/> files) stand behind them
/// (<see cref="WrittenFileQueue"/>).
/// </summary>
/// <remarks>
/// Why this pays even on an idle machine: a freshly written page needs a free page, and on
/// virtual machines that hand unused memory back to the hypervisor (free page reporting, as on
/// this project's CI and benchmark machine) every such page can cost a hypervisor fault on first
/// touch, seconds of kernel CPU per restore. Dropped pages are taken again by the
/// next writes within milliseconds, before they are ever reported, so a restore keeps reusing a
/// working set of about <see cref="ByteBudget"/> (docs/decisions.md §16).
/// The system calls run on the background task because <c>sync_file_range</c> blocks while the
/// device's queue is full: restore workers must not wait on the disk. If the task falls behind
/// by a full channel, further files are just closed (left to the kernel) rather than making a
/// worker wait or holding ever more descriptors open.
/// </remarks>
internal sealed class PageCacheReleaser : IDisposable
{
    /// <summary>Bytes queued before the oldest file's pages are dropped; smaller budgets drop too early, while pages are still in write-back (§16).</summary>
    public const long ByteBudget = 256L << 20;

    /// <summary>
    /// Smaller files are just closed and left to the kernel, which writes many small files back in
    /// a few large requests; starting write-back per file would send each as its own small one.
    /// </summary>
    public const long MinimumFileBytes = 1 << 20;

    /// <summary>Open handles queued at most, in the channel and in the queue each (a restore must not run into the descriptor limit).</summary>
    public const int FileBudget = 256;

    private readonly Channel<(SafeFileHandle File, long Length)> _finished;
    private readonly Task _worker;
    private bool _restoreDone;

    public PageCacheReleaser(long byteBudget = ByteBudget, int fileBudget = FileBudget)
    {
        _finished = Channel.CreateBounded<(SafeFileHandle, long)>(new BoundedChannelOptions(fileBudget) { SingleReader = true });
        _worker = OperatingSystem.IsLinux() ? Task.Run(() => DrainAsync(new WrittenFileQueue(byteBudget, fileBudget))) : Task.CompletedTask;
    }

    /// <summary>Takes ownership of <paramref name="file"/> (a complete, verified file of <paramref name="length"/> bytes) and closes it sooner or later.</summary>
    public void Release(SafeFileHandle file, long length)
    {
        if (length < MinimumFileBytes || !OperatingSystem.IsLinux() || !_finished.Writer.TryWrite((file, length)))
        {
            file.Dispose();
        }
    }

    private async Task DrainAsync(WrittenFileQueue written)
    {
        using (written)
        {
            await foreach (var (file, length) in _finished.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (Volatile.Read(ref _restoreDone))
                {
                    file.Dispose(); // the restore is waiting in Dispose: no more write-back calls, which can block
                }
                else
                {
                    written.Add(file, length);
                }
            }
        }
    }

    /// <summary>Closes every file still open once the background task has stopped; files it had not taken in yet get no write-back call.</summary>
    public void Dispose()
    {
        Volatile.Write(ref _restoreDone, true);
        _finished.Writer.TryComplete();
        _worker.GetAwaiter().GetResult();
    }
}
