using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration;

/// <summary>Source-generated log messages of the orchestration layer (stable event ids 1000–1999; see docs/event-ids.md).</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Snapshot {SnapshotId} of policy {Policy} committed on {Target}: {Files} files, {BytesStored} bytes stored")]
    public static partial void SnapshotCommitted(ILogger logger, string policy, string snapshotId, string target, long files, long bytesStored);

    [LoggerMessage(1001, LogLevel.Error, "Backup of policy {Policy} failed: {Reason}")]
    public static partial void BackupFailed(ILogger logger, string policy, string reason);

    [LoggerMessage(1002, LogLevel.Information, "Restored snapshot {SnapshotId} of policy {Policy} from {Target} to {Destination}: {Files} files verified")]
    public static partial void Restored(ILogger logger, string policy, string snapshotId, string target, string destination, long files);

    [LoggerMessage(1003, LogLevel.Warning, "Target {Target} could not be read for policy {Policy}: {Reason}")]
    public static partial void TargetUnreadable(ILogger logger, string target, string policy, string reason);

    [LoggerMessage(1004, LogLevel.Information, "Copy of policy {Policy} to {Target}: {Packs} packs, {Bytes} bytes, {Errors} errors")]
    public static partial void CopyFinished(ILogger logger, string policy, string target, int packs, long bytes, int errors);

    [LoggerMessage(1005, LogLevel.Warning, "Read fallback during restore of policy {Policy}: {Event}")]
    public static partial void ReadFallback(ILogger logger, string policy, string @event);

    [LoggerMessage(1006, LogLevel.Warning, "Catalog unavailable while restoring policy {Policy}; trying every configured target: {Reason}")]
    public static partial void CatalogUnavailable(ILogger logger, string policy, string reason);

    [LoggerMessage(1200, LogLevel.Warning, "Snapshot {SnapshotId} of policy {Policy} on {Target} was committed by interrupted run {RunId}; added to the catalog")]
    public static partial void SnapshotAdopted(ILogger logger, string snapshotId, string policy, string target, long runId);

    [LoggerMessage(1201, LogLevel.Warning, "Interrupted run {RunId}: could not look for its snapshots on {Target} ({Reason}); 'drorch catalog rebuild --from {Target}' adds them")]
    public static partial void AdoptionFailed(ILogger logger, long runId, string target, string reason);

    [LoggerMessage(1007, LogLevel.Information, "Backup of policy {Policy}: the catalog names no readable parent on {Target} (catalog: {CatalogSnapshot}); reading the repository's snapshot list")]
    public static partial void ParentFromRepositoryListing(ILogger logger, string policy, string target, string catalogSnapshot);

    [LoggerMessage(1450, LogLevel.Information, "Target {Target} ({Store}) initialised: container created {ContainerCreated}, repository created {RepositoryCreated}")]
    public static partial void TargetInitialised(ILogger logger, string target, string store, bool containerCreated, bool repositoryCreated);

    [LoggerMessage(1451, LogLevel.Warning, "Target check {Check} failed: {Reason}")]
    public static partial void TargetCheckFailed(ILogger logger, string check, string reason);

    [LoggerMessage(1100, LogLevel.Information, "Restore of policy {Policy}: snapshot {Snapshot} from {Target}, source {Source}, database {Database} into a database")]
    public static partial void DatabaseRestoreStarting(ILogger logger, string policy, string snapshot, string target, string source, string database);

    [LoggerMessage(1101, LogLevel.Information, "Restore of policy {Policy}: snapshot {Snapshot}, database {Database} restored and verified ({Tables} tables, {Rows} rows)")]
    public static partial void DatabaseRestored(ILogger logger, string policy, string snapshot, string database, int tables, long rows);

    [LoggerMessage(1102, LogLevel.Warning, "Restore of policy {Policy} from {Target} is not recorded in the catalog (its throughput will not feed the predicted RTO): {Reason}")]
    public static partial void RestoreNotRecorded(ILogger logger, string policy, string target, string reason);
}
