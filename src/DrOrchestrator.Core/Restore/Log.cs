using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Restore;

internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "Restored snapshot {SnapshotId} to {Destination}: {Files} files, {Bytes} bytes verified in {Seconds:F1} s")]
    public static partial void RestoreFinished(ILogger logger, string snapshotId, string destination, long files, long bytes, double seconds);
}
