using DrOrchestrator.Core.Repository;

namespace DrOrchestrator.Core.Backup;

/// <summary>The outcome of a backup that produced a snapshot.</summary>
/// <param name="Warnings">Items stored with a caveat (changed while read) or skipped on purpose (sockets, FIFOs, devices).</param>
/// <param name="Errors">Items that could not be backed up (unreadable); the snapshot lacks them.</param>
public sealed record BackupResult(Snapshot Snapshot, IReadOnlyList<BackupIssue> Warnings, IReadOnlyList<BackupIssue> Errors);

/// <summary>What <see cref="Archiver.AddFilesAsync"/> added to a snapshot being built.</summary>
/// <param name="Figures">What was scanned and read, for the snapshot's summary.</param>
public sealed record FilesAdded(SourceFigures Figures, IReadOnlyList<BackupIssue> Warnings, IReadOnlyList<BackupIssue> Errors);

/// <summary>A problem with one source path.</summary>
public sealed record BackupIssue(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>Progress of a running backup. Totals are null until the scan has finished.</summary>
public sealed record BackupProgress(long FilesDone, long BytesDone, long? TotalFiles, long? TotalBytes, string? CurrentPath);
