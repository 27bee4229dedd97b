using System.Diagnostics;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Restore;

/// <summary>What to restore, as the admin asked for it on the command line.</summary>
public sealed record PolicyRestoreRequest(
    string Policy,
    string? SnapshotId,
    DateTimeOffset? At,
    string? FromTarget,
    IReadOnlyList<string> Include,
    string Destination,
    bool Overwrite);

public sealed record PolicyRestoreOutcome(Snapshot Snapshot, string Target, RestoreResult Result, TimeSpan Elapsed);

/// <summary>
/// Restores a policy's snapshot into a directory — designed for the incident, so it needs
/// nothing but a target and the key: the repository on the target is self-describing, and the
/// catalog is only consulted (for the policy's target order) when it is there. Targets are
/// tried in order (primaries, then replicas, then every other configured target) until one holds
/// the wanted snapshot and can be read.
/// </summary>
public sealed class PolicyRestoreService
{
    private readonly CatalogStore _catalog;
    private readonly RepositoryAccess _repositories;
    private readonly Restorer _restorer;
    private readonly ILogger<PolicyRestoreService> _logger;

    public PolicyRestoreService(CatalogStore catalog, RepositoryAccess repositories, Restorer restorer, ILogger<PolicyRestoreService> logger)
    {
        _catalog = catalog;
        _repositories = repositories;
        _restorer = restorer;
        _logger = logger;
    }

    public async Task<PolicyRestoreOutcome> RestoreAsync(PolicyRestoreRequest request, IProgress<RestoreProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        foreach (var target in await CandidateTargetsAsync(request, cancellationToken).ConfigureAwait(false))
        {
            BackupRepository repository;
            Snapshot? snapshot;
            try
            {
                repository = await _repositories.OpenAsync(target, cancellationToken).ConfigureAwait(false);
                snapshot = await SelectSnapshotAsync(repository, request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectStoreException or RepositoryNotFoundException or SnapshotNotFoundException)
            {
                Log.TargetUnreadable(_logger, target, request.Policy, ex.Message);
                failures.Add($"{target}: {ex.Message}");
                continue;
            }

            await using (repository.ConfigureAwait(false))
            {
                if (snapshot is null)
                {
                    failures.Add($"{target}: no matching snapshot");
                    continue;
                }

                var result = await _restorer.RestoreAsync(
                    repository, new RestoreRequest(snapshot, request.Destination, request.Include, request.Overwrite), progress, cancellationToken).ConfigureAwait(false);
                Log.Restored(_logger, request.Policy, snapshot.Id, target, request.Destination, result.FilesVerified);
                return new PolicyRestoreOutcome(snapshot, target, result, clock.Elapsed);
            }
        }

        throw new SnapshotNotFoundException(
            $"no snapshot of policy '{request.Policy}'{Describe(request)} could be read from any target ({string.Join("; ", failures)})");
    }

    private async Task<IReadOnlyList<string>> CandidateTargetsAsync(PolicyRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.FromTarget is not null)
        {
            _repositories.Targets.Get(request.FromTarget);
            return [request.FromTarget];
        }

        var ordered = new List<string>();
        try
        {
            var stored = await _catalog.GetPolicyAsync(request.Policy, cancellationToken).ConfigureAwait(false);
            if (stored?.ToPolicy() is { } policy)
            {
                ordered.AddRange(policy.Primaries.Concat(policy.Replicas).Select(t => t.Name));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The catalog may be the very thing the incident destroyed: restore without it.
            Log.TargetUnreadable(_logger, "catalog", request.Policy, ex.Message);
        }

        ordered.AddRange(_repositories.Targets.Names.Order(StringComparer.Ordinal).Where(n => !ordered.Contains(n)));
        return ordered;
    }

    private static async Task<Snapshot?> SelectSnapshotAsync(BackupRepository repository, PolicyRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.SnapshotId is not null)
        {
            var byId = await repository.FindSnapshotAsync(request.SnapshotId, cancellationToken).ConfigureAwait(false);
            return byId.PolicyName == request.Policy ? byId
                : throw new SnapshotNotFoundException($"snapshot {byId.ShortId} belongs to policy '{byId.PolicyName}', not '{request.Policy}'");
        }

        var snapshots = await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false);
        return snapshots
            .Where(s => s.PolicyName == request.Policy && (request.At is null || s.RecoveryPoint <= request.At))
            .MaxBy(s => s.RecoveryPoint);
    }

    private static string Describe(PolicyRestoreRequest request) =>
        request.SnapshotId is not null ? $" with id {request.SnapshotId}"
        : request.At is not null ? $" at or before {request.At:O}"
        : "";
}
