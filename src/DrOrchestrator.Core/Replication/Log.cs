using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Core.Replication;

/// <summary>Log messages of the repository replicator (event ids 2500–2599; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2500, Level = LogLevel.Information, Message = "Replication from {Source} to {Destination} starting")]
    public static partial void ReplicationStarting(ILogger logger, string source, string destination);

    [LoggerMessage(EventId = 2501, Level = LogLevel.Information,
        Message = "Replication to {Destination}: {Packs} pack(s), {Indexes} index(es), {Snapshots} snapshot(s) to copy")]
    public static partial void ReplicationPlanned(ILogger logger, string destination, int packs, int indexes, int snapshots);

    [LoggerMessage(EventId = 2502, Level = LogLevel.Information, Message = "Repository keys and config copied to {Destination}")]
    public static partial void RepositoryCreated(ILogger logger, string destination);

    [LoggerMessage(EventId = 2503, Level = LogLevel.Warning, Message = "Copy of {Key} to {Destination} failed: {Reason}")]
    public static partial void CopyFailed(ILogger logger, string key, string destination, string reason);

    [LoggerMessage(EventId = 2504, Level = LogLevel.Warning,
        Message = "Replication to {Destination}: {Snapshots} snapshot(s) held back because {Failed} object(s) failed to copy")]
    public static partial void SnapshotsHeldBack(ILogger logger, string destination, int snapshots, int failed);

    [LoggerMessage(EventId = 2505, Level = LogLevel.Warning, Message = "{Store}: {Key} is not a pack key; not replicated")]
    public static partial void NotAPack(ILogger logger, string store, string key);

    [LoggerMessage(EventId = 2506, Level = LogLevel.Information,
        Message = "Replication to {Destination} finished: {Packs} pack(s), {Bytes} bytes, {Indexes} index(es), {Snapshots} snapshot(s) copied, {Errors} error(s), {Seconds:F1} s")]
    public static partial void ReplicationFinished(ILogger logger, string destination, int packs, long bytes, int indexes, int snapshots, int errors, double seconds);

    [LoggerMessage(EventId = 2507, Level = LogLevel.Warning, Message = "{Line} (no index of the source names it: the leftover of an interrupted upload; skipped)")]
    public static partial void DamagedLeftoverSkipped(ILogger logger, string line);

    [LoggerMessage(EventId = 2508, Level = LogLevel.Warning,
        Message = "{Source}: cannot read the indexes to tell a damaged leftover pack from a referenced one ({Reason}); its snapshots stay held back")]
    public static partial void UnindexedCheckFailed(ILogger logger, string source, string reason);
}
