using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Restore;

/// <summary>Log messages of the restorer (event ids 2200–2299; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Information,
        Message = "Restored snapshot {SnapshotId} to {Destination}: {Files} files, {Bytes} bytes verified in {Seconds:F1} s")]
    public static partial void RestoreFinished(ILogger logger, string snapshotId, string destination, long files, long bytes, double seconds);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning,
        Message = "Restore of snapshot {SnapshotId}: {Count} files could not be restored (first: {First})")]
    public static partial void FilesNotRestored(ILogger logger, string snapshotId, int count, string first);
}
