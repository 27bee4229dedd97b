using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Restore;

namespace DrOrchestrator.Orchestration.Contracts;

/// <summary>
/// The backup and restore use cases as the front doors call them: progress as
/// <see cref="ProgressSample"/>, results as contract types. Kept beside the services rather than
/// in them so the engine-facing outcome types can change without touching either front door.
/// </summary>
public static class FrontDoorExtensions
{
    /// <summary>`backup POLICY`: one run now, recorded in the catalog, then (unless told not to) the copies to replicas.</summary>
    public static async Task<BackupRunInfo> RunAsync(
        this PolicyBackupService service, string policy, bool copyAfterBackup, IProgress<ProgressSample>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        var outcome = await service.BackupAsync(
            policy,
            new BackupRunOptions(CopyAfterBackup: copyAfterBackup),
            ProgressSampleAdapter<BackupProgress>.Wrap(progress, p => new ProgressSample(p.FilesDone, p.BytesDone, p.TotalBytes, p.CurrentPath)),
            cancellationToken).ConfigureAwait(false);
        return BackupRunInfo.From(outcome);
    }

    /// <summary>`restore POLICY … --to DIR`: the snapshot asked for, every file's SHA-256 verified.</summary>
    public static async Task<RestoreInfo> RunAsync(
        this PolicyRestoreService service, PolicyRestoreRequest request, IProgress<ProgressSample>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(request);
        var outcome = await service.RestoreAsync(
            request,
            ProgressSampleAdapter<RestoreProgress>.Wrap(progress, p => new ProgressSample(p.FilesDone, p.BytesDone, p.TotalBytes, p.CurrentPath)),
            cancellationToken).ConfigureAwait(false);
        return RestoreInfo.From(outcome, request.Destination);
    }

    /// <summary>`restore POLICY … --to-db CONNECTION`: one database restored and its fingerprint verified.</summary>
    public static async Task<DatabaseRestoreInfo> RunAsync(this PolicyRestoreService service, PolicyDatabaseRestoreRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        return DatabaseRestoreInfo.From(await service.RestoreDatabaseAsync(request, cancellationToken).ConfigureAwait(false));
    }
}
