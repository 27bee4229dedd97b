using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Backup;

/// <summary>Log messages of the archiver (event ids 2000–2099; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Backup to {Store} of {Sources} source(s) starting")]
    public static partial void BackupStarting(ILogger logger, string store, int sources);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Parent snapshot {SnapshotId} cannot be read ({Reason}); reading every file")]
    public static partial void ParentUnusable(ILogger logger, string snapshotId, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information,
        Message = "Snapshot {SnapshotId} saved: {Files} files, {BytesNew} new bytes, {BytesStored} stored, {Seconds:F1} s")]
    public static partial void BackupFinished(ILogger logger, string snapshotId, long files, long bytesNew, long bytesStored, double seconds);
}
