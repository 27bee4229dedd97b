using System.Diagnostics;

namespace DrOrchestrator.Core.Restore;

/// <summary>Counts finished files and reports progress at most every 250 ms. Thread-safe.</summary>
internal sealed class RestoreTracker(RestorePlan plan, IProgress<RestoreProgress>? progress)
{
    private readonly Stopwatch _sinceReport = Stopwatch.StartNew();
    private long _files;
    private long _bytes;
    private long _bytesWritten;

    /// <summary>Bytes of <paramref name="file"/> were written: progress by bytes, not only by whole files.</summary>
    public void Written(FileTarget file, int bytes)
    {
        var written = Interlocked.Add(ref _bytesWritten, bytes);
        if (progress is not null && _sinceReport.ElapsedMilliseconds >= 250)
        {
            _sinceReport.Restart();
            progress.Report(new RestoreProgress(Interlocked.Read(ref _files), written, plan.Files.Count, plan.TotalBytes, file.SnapshotPath));
        }
    }

    public void FileDone(FileTarget file)
    {
        var files = Interlocked.Increment(ref _files);
        var bytes = Interlocked.Add(ref _bytes, file.Size);
        if (progress is not null && (_sinceReport.ElapsedMilliseconds >= 250 || files == plan.Files.Count))
        {
            _sinceReport.Restart();
            progress.Report(new RestoreProgress(files, Math.Max(bytes, Interlocked.Read(ref _bytesWritten)), plan.Files.Count, plan.TotalBytes, file.SnapshotPath));
        }
    }

    /// <summary>A file restored as a hard link to one already restored (no progress report: they come last, all at once).</summary>
    public void LinkDone(FileTarget file)
    {
        Interlocked.Increment(ref _files);
        Interlocked.Add(ref _bytes, file.Size);
    }

    /// <summary>Every file finished was verified (a mismatch throws), so verified = files.</summary>
    public RestoreResult Result(long directories, long symlinks) =>
        new(Interlocked.Read(ref _files), directories, symlinks, Interlocked.Read(ref _bytes), Interlocked.Read(ref _files));
}
