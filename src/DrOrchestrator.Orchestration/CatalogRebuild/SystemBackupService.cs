using System.Text;
using System.Text.Json;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Configuration;
using DrOrchestrator.Core.Replication;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.CatalogRebuild;

/// <summary>
/// The orchestrator's own backup (the "system backup" of a DR plan, docs/decisions.md §58, §61):
/// writes a record of what rebuilding the orchestrator needs — the canonical policies, the
/// configuration without secrets, and the catalog's history — as a snapshot of the reserved policy
/// <see cref="SystemRecords.PolicyName"/> (<see cref="SystemRecords"/>). A record is written the way
/// a policy's snapshot is: once per set of primaries, through the backup's <see cref="PrimarySet"/>
/// (one mirror write, pools placing packs on their ring), then copied to the replicas of the
/// policies with those primaries by the same <see cref="RepositoryReplicator"/> a copy uses — so a
/// replica holds exactly its primary's objects and a restore can fall back to it object by object.
/// Called after every policy change, after every drill, at the end of a backup when the policy's
/// targets' last record is older than <see cref="Interval"/>, and daily by the service. Never fails
/// its caller: a target that cannot take a record is logged and reported, and its run recorded as
/// failed.
/// </summary>
public sealed class SystemBackupService
{
    /// <summary>Version of the record's content (<see cref="RecordHeader"/>); readers refuse a newer one.</summary>
    public const int FormatVersion = 1;

    /// <summary>The configuration switch: <c>SystemBackup:Enabled</c> (default true; <c>false</c> turns records off).</summary>
    public const string EnabledKey = "SystemBackup:Enabled";

    /// <summary>The record's JSON: one object per line, so never indented.</summary>
    internal static readonly JsonSerializerOptions LineJson = new(ContractJson.Options) { WriteIndented = false };

    private readonly CatalogStore _catalog;
    private readonly Lazy<RepositoryAccess> _repositories;
    private readonly RepositoryReplicator _replicator;
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly ILogger<SystemBackupService> _logger;

    public SystemBackupService(
        CatalogStore catalog, Lazy<RepositoryAccess> repositories, RepositoryReplicator replicator, IConfiguration configuration, ILogger<SystemBackupService> logger,
        TimeProvider? time = null)
    {
        _catalog = catalog;
        _repositories = repositories;
        _replicator = replicator;
        _configuration = configuration;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How old a target's last record may be before a backup writes a new one ("at least daily").</summary>
    public static TimeSpan Interval { get; } = TimeSpan.FromHours(24);

    /// <summary>On unless <c>SystemBackup:Enabled</c> is <c>false</c>.</summary>
    public bool Enabled => !string.Equals(_configuration[EnabledKey]?.Trim(), "false", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Writes a record for every set of targets that includes one of <paramref name="targets"/>
    /// (null: every target a policy in the catalog names); with <paramref name="onlyIfDue"/>, only
    /// for sets with a target whose last record is older than <see cref="Interval"/>. A target
    /// without a repository yet is skipped; so is a set whose primaries hold none.
    /// </summary>
    public async Task<SystemBackupInfo> WriteAsync(IReadOnlyCollection<string>? targets, bool onlyIfDue, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return new SystemBackupInfo([]);
        }

        var policies = await _catalog.ListPoliciesAsync(cancellationToken).ConfigureAwait(false);
        var sets = SystemRecordTargetSet.From(policies.Select(p => p.ToPolicy()), targets);
        var results = new List<SystemBackupTargetInfo>();
        foreach (var set in sets)
        {
            if (onlyIfDue && !await IsDueAsync(set, cancellationToken).ConfigureAwait(false))
            {
                results.AddRange(set.All.Select(t => new SystemBackupTargetInfo(t, null, 0, 0, "not due", null)));
                continue;
            }

            results.AddRange(await WriteSetAsync(set, cancellationToken).ConfigureAwait(false));
        }

        return new SystemBackupInfo(results);
    }

    /// <summary>As <see cref="WriteAsync"/>, for callers whose own work is done: nothing it meets (cancellation included) reaches them.</summary>
    public async Task WriteQuietlyAsync(IReadOnlyCollection<string>? targets, bool onlyIfDue, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(targets, onlyIfDue, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.RecordFailed(_logger, string.Join(", ", targets ?? ["(policy targets)"]), ex.Message);
        }
    }

    /// <summary>A set is due when any of its targets has no successful record younger than <see cref="Interval"/>.</summary>
    private async Task<bool> IsDueAsync(SystemRecordTargetSet set, CancellationToken cancellationToken)
    {
        foreach (var target in set.All)
        {
            if (await _catalog.GetLastSucceededRunAsync(RunKind.SystemBackup, target, cancellationToken).ConfigureAwait(false) is not { } last
                || _time.GetUtcNow() - last >= Interval)
            {
                return true;
            }
        }

        return false;
    }

    private async Task<IReadOnlyList<SystemBackupTargetInfo>> WriteSetAsync(SystemRecordTargetSet set, CancellationToken cancellationToken)
    {
        var repositories = _repositories.Value;
        RepositoryKey key;
        PrimarySet primaries;
        try
        {
            key = repositories.KeyFor(set.Primaries[0]);
            primaries = await PrimarySet.PrepareAsync(set.Primaries, 1, repositories.Targets, _replicator, key, _logger, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PrimaryTargetsUnavailableException or ObjectStoreException or SecretNotFoundException or ConfigurationException or ReplicationException)
        {
            return Failed(set.All, ex.Message);
        }

        BackupRepository repository;
        try
        {
            repository = await BackupRepository.OpenAsync(primaries.Store, key, repositories.IndexCache(), cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryNotFoundException)
        {
            // A record never creates a repository: that is the first backup's (or `target init`'s) job.
            return Skipped(set.All, "no repository yet");
        }
        catch (Exception ex) when (ex is RepositoryException or ObjectStoreException)
        {
            return Failed(set.All, ex.Message);
        }

        var results = new List<SystemBackupTargetInfo>();
        results.AddRange(primaries.Missing.Select(m => Failed(m.Name, m.Reason)));
        Snapshot? record;
        await using (repository.ConfigureAwait(false))
        {
            record = await WritePrimariesAsync(primaries, repository, results, cancellationToken).ConfigureAwait(false);
        }

        var source = primaries.Complete.FirstOrDefault();
        foreach (var replica in set.Replicas)
        {
            results.Add(record is null || source is null
                ? Failed(replica, "the record was not written to any primary")
                : await CopyToReplicaAsync(record, source, replica, key, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    /// <summary>Writes the record once through the primaries' store; one run row per primary that received it (or was meant to).</summary>
    private async Task<Snapshot?> WritePrimariesAsync(PrimarySet primaries, BackupRepository repository, List<SystemBackupTargetInfo> results, CancellationToken cancellationToken)
    {
        var usable = primaries.Targets.Where(t => t.Unavailable is null).Select(t => t.Name).ToList();
        var runs = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var name in usable)
        {
            runs[name] = await _catalog.StartRunAsync(null, RunKind.SystemBackup, name, CancellationToken.None).ConfigureAwait(false);
        }

        try
        {
            var recordedAt = _time.GetUtcNow();
            var snapshot = await SystemRecords.WriteAsync(repository, recordedAt, (stream, ct) => WriteRecordAsync(stream, recordedAt, ct), cancellationToken)
                .ConfigureAwait(false);
            var figures = new RunFigures(snapshot.Summary.TotalBytes, snapshot.Summary.BytesNew, snapshot.Summary.BytesStored, 1, 0, snapshot.Id);
            var complete = primaries.Complete.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var name in usable)
            {
                if (complete.Contains(name))
                {
                    await _catalog.CompleteRunAsync(runs[name], RunStatus.Succeeded, figures, [], null, CancellationToken.None).ConfigureAwait(false);
                    Log.RecordWritten(_logger, name, snapshot.Id, snapshot.Summary.TotalBytes, snapshot.Summary.BytesNew);
                    results.Add(new SystemBackupTargetInfo(name, snapshot.Id, snapshot.Summary.TotalBytes, snapshot.Summary.BytesNew, null, null));
                }
                else
                {
                    // A mirror member that failed during the write: it lacks the record, the others hold it.
                    var reason = primaries.Missing.First(m => m.Name == name).Reason;
                    await _catalog.CompleteRunAsync(runs[name], RunStatus.Failed, RunFigures.None, [], reason, CancellationToken.None).ConfigureAwait(false);
                    results.Add(Failed(name, reason));
                }
            }

            return snapshot;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var status = ex is OperationCanceledException ? RunStatus.Cancelled : RunStatus.Failed;
            foreach (var name in usable)
            {
                await _catalog.CompleteRunAsync(runs[name], status, RunFigures.None, [], ex.Message, CancellationToken.None).ConfigureAwait(false);
                results.Add(Failed(name, ex.Message));
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            return null;
        }
    }

    /// <summary>
    /// A replica receives the record the way it receives a policy's snapshots: the replicator copies
    /// what the primary holds and it lacks (packs verified by their SHA-256, the snapshot last), so
    /// replica and primary hold the same objects. A replica without a repository is left alone.
    /// </summary>
    private async Task<SystemBackupTargetInfo> CopyToReplicaAsync(Snapshot record, PrimaryTarget source, string replica, RepositoryKey key, CancellationToken cancellationToken)
    {
        IObjectStore store;
        try
        {
            store = _repositories.Value.Targets.Open(replica);
            if (!await BackupRepository.ExistsAsync(store, cancellationToken).ConfigureAwait(false))
            {
                return Skipped(replica, "no repository yet");
            }
        }
        catch (Exception ex) when (ex is ObjectStoreException or ConfigurationException)
        {
            return Failed(replica, ex.Message);
        }

        var runId = await _catalog.StartRunAsync(null, RunKind.SystemBackup, replica, CancellationToken.None).ConfigureAwait(false);
        try
        {
            var report = await _replicator.ReplicateAsync(source.Store, store, new ReplicationOptions { SourceKey = key }, null, cancellationToken).ConfigureAwait(false);
            var arrived = report.SnapshotsCopied.Contains(record.Id) || report.SnapshotsAlreadyPresent.Contains(record.Id);
            if (!arrived || report.Errors.Count > 0)
            {
                var reason = report.Errors.FirstOrDefault() ?? $"record {record.Id[..8]} still pending on the replica";
                await _catalog.CompleteRunAsync(runId, RunStatus.Failed, RunFigures.None, [], reason, CancellationToken.None).ConfigureAwait(false);
                return Failed(replica, reason);
            }

            var figures = new RunFigures(record.Summary.TotalBytes, report.BytesCopied, report.BytesCopied, 1, 0, record.Id);
            await _catalog.CompleteRunAsync(runId, RunStatus.Succeeded, figures, [], null, CancellationToken.None).ConfigureAwait(false);
            Log.RecordCopied(_logger, replica, record.Id, source.Name, report.BytesCopied);
            return new SystemBackupTargetInfo(replica, record.Id, record.Summary.TotalBytes, report.BytesCopied, null, null);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var status = ex is OperationCanceledException ? RunStatus.Cancelled : RunStatus.Failed;
            await _catalog.CompleteRunAsync(runId, status, RunFigures.None, [], ex.Message, CancellationToken.None).ConfigureAwait(false);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            return Failed(replica, ex.Message);
        }
    }

    private SystemBackupTargetInfo Failed(string target, string reason)
    {
        Log.RecordFailed(_logger, target, reason);
        return new SystemBackupTargetInfo(target, null, 0, 0, null, reason);
    }

    private List<SystemBackupTargetInfo> Failed(IEnumerable<string> targets, string reason) => [.. targets.Select(t => Failed(t, reason))];

    private List<SystemBackupTargetInfo> Skipped(IEnumerable<string> targets, string reason) => [.. targets.Select(t => Skipped(t, reason))];

    private SystemBackupTargetInfo Skipped(string target, string reason)
    {
        Log.RecordSkipped(_logger, target, reason);
        return new SystemBackupTargetInfo(target, null, 0, 0, reason, null);
    }

    /// <summary>The record: a header line, the configuration line, then the catalog's history (CatalogStore.ExportHistoryAsync).</summary>
    private async Task WriteRecordAsync(Stream stream, DateTimeOffset recordedAt, CancellationToken cancellationToken)
    {
        var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            var header = new RecordHeader(FormatVersion, recordedAt, Environment.MachineName, ConfigurationFile.FileName(_configuration));
            await writer.WriteLineAsync(JsonSerializer.Serialize(new { t = RecordHeader.Kind, v = header }, LineJson).AsMemory(), cancellationToken).ConfigureAwait(false);
            await writer.WriteLineAsync(
                JsonSerializer.Serialize(new { t = RecordHeader.ConfigurationKind, v = SystemConfiguration.Redacted(_configuration) }, LineJson).AsMemory(),
                cancellationToken).ConfigureAwait(false);
            await _catalog.ExportHistoryAsync(writer, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>The first line of a record.</summary>
public sealed record RecordHeader(int Format, DateTimeOffset RecordedAt, string Host, string? ConfigurationFile)
{
    public const string Kind = "record";
    public const string ConfigurationKind = "configuration";
}
