using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.CatalogRebuild;

/// <summary>Log messages of the orchestrator's own backup and of `catalog rebuild` (event ids 1700–1799; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(1700, LogLevel.Information, "System record {SnapshotId} written to {Target}: {Bytes} bytes, {BytesNew} new")]
    public static partial void RecordWritten(ILogger logger, string target, string snapshotId, long bytes, long bytesNew);

    [LoggerMessage(1701, LogLevel.Warning, "System record could not be written to {Target}: {Reason}")]
    public static partial void RecordFailed(ILogger logger, string target, string reason);

    [LoggerMessage(1702, LogLevel.Debug, "System record skipped on {Target}: {Reason}")]
    public static partial void RecordSkipped(ILogger logger, string target, string reason);

    [LoggerMessage(1703, LogLevel.Warning, "System record {SnapshotId} on {Target} cannot be read, trying an older one: {Reason}")]
    public static partial void RecordUnreadable(ILogger logger, string target, string snapshotId, string reason);

    [LoggerMessage(1704, LogLevel.Information, "Catalog rebuilt from {Target}: record {SnapshotId}, {Snapshots} snapshot(s) from the record, {Added} added from the repository, {Gone} gone since")]
    public static partial void Rebuilt(ILogger logger, string target, string snapshotId, int snapshots, int added, int gone);

    [LoggerMessage(1705, LogLevel.Information, "System record {SnapshotId} copied to replica {Target} from {Source}: {BytesCopied} bytes copied")]
    public static partial void RecordCopied(ILogger logger, string target, string snapshotId, string source, long bytesCopied);
}
