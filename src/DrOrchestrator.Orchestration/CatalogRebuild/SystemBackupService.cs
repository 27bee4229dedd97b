using System.Text;
using System.Text.Json;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Configuration;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.CatalogRebuild;

/// <summary>
/// The orchestrator's own backup (the "system backup" of a DR plan, docs/decisions.md §58): writes
/// to each target a record of what rebuilding the orchestrator needs — the canonical policies, the
/// configuration without secrets, and the catalog's history — as a snapshot of the reserved policy
/// <see cref="SystemRecords.PolicyName"/> (<see cref="SystemRecords"/>). Called after every policy
/// change, after every drill, and at the end of a backup when the target's last record is older
/// than <see cref="Interval"/>. Never fails its caller: a target that cannot take a record is
/// logged and reported, and the run recorded as failed.
/// </summary>
public sealed class SystemBackupService
{
    /// <summary>Version of the record's content (<see cref="RecordHeader"/>); readers refuse a newer one.</summary>
    public const int FormatVersion = 1;

    /// <summary>The configuration switch: <c>SystemBackup:Enabled</c> (default false).</summary>
    public const string EnabledKey = "SystemBackup:Enabled";

    /// <summary>The record's JSON: one object per line, so never indented.</summary>
    internal static readonly JsonSerializerOptions LineJson = new(ContractJson.Options) { WriteIndented = false };

    private readonly CatalogStore _catalog;
    private readonly Lazy<RepositoryAccess> _repositories;
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly ILogger<SystemBackupService> _logger;

    public SystemBackupService(CatalogStore catalog, Lazy<RepositoryAccess> repositories, IConfiguration configuration, ILogger<SystemBackupService> logger, TimeProvider? time = null)
    {
        _catalog = catalog;
        _repositories = repositories;
        _configuration = configuration;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How old a target's last record may be before a backup writes a new one ("at least daily").</summary>
    public static TimeSpan Interval { get; } = TimeSpan.FromHours(24);

    // Off unless configured: each target's record is written to that target on its own, so a
    // replica's copy differs from its primary's, and a restore that falls back object by object
    // from a damaged primary then finds the primary's record index nowhere else (docs/decisions.md
    // §58, "Off by default"). Until records travel with the policy's replication, it is opt-in.
    private bool Enabled => string.Equals(_configuration[EnabledKey], "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Writes a record to each of <paramref name="targets"/> (null: every target a policy in the
    /// catalog names); with <paramref name="onlyIfDue"/>, only to targets whose last record is older
    /// than <see cref="Interval"/>. A target without a repository yet is skipped.
    /// </summary>
    public async Task<SystemBackupInfo> WriteAsync(IReadOnlyCollection<string>? targets, bool onlyIfDue, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return new SystemBackupInfo([]);
        }

        targets ??= await PolicyTargetsAsync(cancellationToken).ConfigureAwait(false);
        var results = new List<SystemBackupTargetInfo>();
        foreach (var target in targets.Distinct(StringComparer.Ordinal))
        {
            results.Add(await WriteTargetAsync(target, onlyIfDue, cancellationToken).ConfigureAwait(false));
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

    private async Task<IReadOnlyCollection<string>> PolicyTargetsAsync(CancellationToken cancellationToken)
    {
        var policies = await _catalog.ListPoliciesAsync(cancellationToken).ConfigureAwait(false);
        return [.. policies.SelectMany(p => p.ToPolicy().Targets).Select(t => t.Name).Distinct(StringComparer.Ordinal)];
    }

    private async Task<SystemBackupTargetInfo> WriteTargetAsync(string target, bool onlyIfDue, CancellationToken cancellationToken)
    {
        if (onlyIfDue && await _catalog.GetLastSucceededRunAsync(RunKind.SystemBackup, target, cancellationToken).ConfigureAwait(false) is { } last
            && _time.GetUtcNow() - last < Interval)
        {
            return new SystemBackupTargetInfo(target, null, 0, 0, "not due", null);
        }

        BackupRepository repository;
        try
        {
            repository = await _repositories.Value.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryNotFoundException)
        {
            // A record never creates a repository: that is the first backup's (or `target init`'s) job.
            Log.RecordSkipped(_logger, target, "no repository yet");
            return new SystemBackupTargetInfo(target, null, 0, 0, "no repository yet", null);
        }
        catch (Exception ex) when (ex is RepositoryException or Core.Storage.ObjectStoreException or Core.Security.SecretNotFoundException)
        {
            Log.RecordFailed(_logger, target, ex.Message);
            return new SystemBackupTargetInfo(target, null, 0, 0, null, ex.Message);
        }

        await using (repository.ConfigureAwait(false))
        {
            var runId = await _catalog.StartRunAsync(null, RunKind.SystemBackup, target, CancellationToken.None).ConfigureAwait(false);
            try
            {
                var recordedAt = _time.GetUtcNow();
                var snapshot = await SystemRecords.WriteAsync(repository, recordedAt, (stream, ct) => WriteRecordAsync(stream, recordedAt, ct), cancellationToken)
                    .ConfigureAwait(false);
                var figures = new RunFigures(snapshot.Summary.TotalBytes, snapshot.Summary.BytesNew, snapshot.Summary.BytesStored, 1, 0, snapshot.Id);
                await _catalog.CompleteRunAsync(runId, RunStatus.Succeeded, figures, [], null, CancellationToken.None).ConfigureAwait(false);
                Log.RecordWritten(_logger, target, snapshot.Id, snapshot.Summary.TotalBytes, snapshot.Summary.BytesNew);
                return new SystemBackupTargetInfo(target, snapshot.Id, snapshot.Summary.TotalBytes, snapshot.Summary.BytesNew, null, null);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                var status = ex is OperationCanceledException ? RunStatus.Cancelled : RunStatus.Failed;
                await _catalog.CompleteRunAsync(runId, status, RunFigures.None, [], ex.Message, CancellationToken.None).ConfigureAwait(false);
                Log.RecordFailed(_logger, target, ex.Message);
                if (ex is OperationCanceledException)
                {
                    throw;
                }

                return new SystemBackupTargetInfo(target, null, 0, 0, null, ex.Message);
            }
        }
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
