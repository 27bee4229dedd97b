using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Replication;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Replication;

/// <summary>The result of copying a policy's repository to one target.</summary>
public sealed record TargetCopyOutcome(string Target, ReplicationReport? Report, string? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Fills replica targets (and primaries that missed a run) from a complete primary: only missing
/// objects move, packs are verified by SHA-256 on arrival, snapshots appear last. The catalog
/// records, per snapshot and target, when it became complete there — the basis of per-target RPO.
/// A target that cannot be reached is reported, never fatal: its lag simply grows until it is back.
/// </summary>
public sealed class ReplicaCopyService
{
    private readonly CatalogStore _catalog;
    private readonly TargetRegistry _targets;
    private readonly RepositoryReplicator _replicator;
    private readonly ILogger<ReplicaCopyService> _logger;

    public ReplicaCopyService(CatalogStore catalog, TargetRegistry targets, RepositoryReplicator replicator, ILogger<ReplicaCopyService> logger)
    {
        _catalog = catalog;
        _targets = targets;
        _replicator = replicator;
        _logger = logger;
    }

    /// <summary>Copies from the first source that works to every destination; one outcome per destination.</summary>
    public async Task<IReadOnlyList<TargetCopyOutcome>> CopyAsync(
        Policy policy, IObjectStore source, IEnumerable<string> destinations, CancellationToken cancellationToken)
    {
        var outcomes = new List<TargetCopyOutcome>();
        foreach (var destination in destinations)
        {
            outcomes.Add(await CopyOneAsync(policy, source, destination, cancellationToken).ConfigureAwait(false));
        }

        return outcomes;
    }

    /// <summary>`drorch copy`: the stored policy's targets brought up to date, one result per target copied to.</summary>
    public async Task<IReadOnlyList<CopyInfo>> CatchUpAsync(string policyName, CancellationToken cancellationToken)
    {
        var stored = await _catalog.GetPolicyAsync(policyName, cancellationToken).ConfigureAwait(false) 
            ?? throw await PolicyNotFoundException.FromCatalogAsync(_catalog, policyName, cancellationToken).ConfigureAwait(false);
        var outcomes = await CatchUpAsync(stored.ToPolicy(), cancellationToken).ConfigureAwait(false);
        return [.. outcomes.Select(CopyInfo.From)];
    }

    /// <summary>From the policy's first reachable primary to every other target of the policy.</summary>
    public async Task<IReadOnlyList<TargetCopyOutcome>> CatchUpAsync(Policy policy, CancellationToken cancellationToken)
    {
        foreach (var primary in policy.Primaries)
        {
            // The source is only read: opened read-only, a copy can never modify the good copy.
            var store = _targets.OpenReadOnly(primary.Name);
            try
            {
                if (!await BackupRepository.ExistsAsync(store, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }
            }
            catch (ObjectStoreException ex)
            {
                Log.TargetUnreadable(_logger, primary.Name, policy.Name, ex.Message);
                continue;
            }

            var others = policy.Targets.Select(t => t.Name).Where(n => n != primary.Name);
            return await CopyAsync(policy, store, others, cancellationToken).ConfigureAwait(false);
        }

        throw new ObjectStoreException("copy", null, $"no primary of policy '{policy.Name}' is reachable", isTransient: true);
    }

    private async Task<TargetCopyOutcome> CopyOneAsync(Policy policy, IObjectStore source, string destination, CancellationToken cancellationToken)
    {
        var runId = await _catalog.StartRunAsync(policy.Name, RunKind.Copy, destination, cancellationToken).ConfigureAwait(false);
        try
        {
            var store = _targets.Open(destination);
            var report = await _replicator.ReplicateAsync(source, store, new ReplicationOptions(), null, cancellationToken).ConfigureAwait(false);
            var present = await RepositoryReplicator.ListSnapshotIdsAsync(store, cancellationToken).ConfigureAwait(false);
            await _catalog.RecordCopyPresenceAsync(policy.Name, destination, present, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
            var status = report.Errors.Count == 0 ? RunStatus.Succeeded : RunStatus.Degraded;
            await _catalog.CompleteRunAsync(
                runId, status, new RunFigures(report.BytesCopied, report.BytesCopied, report.BytesCopied, report.PacksCopied, 0),
                [.. report.Errors.Select(e => new RunErrorInfo(null, e))], report.Errors.FirstOrDefault(), CancellationToken.None).ConfigureAwait(false);
            Log.CopyFinished(_logger, policy.Name, destination, report.PacksCopied, report.BytesCopied, report.Errors.Count);
            return new TargetCopyOutcome(destination, report, report.Errors.FirstOrDefault());
        }
        catch (Exception ex) when (ex is ObjectStoreException or ReplicationException)
        {
            await _catalog.CompleteRunAsync(runId, RunStatus.Failed, RunFigures.None, [], ex.Message, CancellationToken.None).ConfigureAwait(false);
            await _catalog.RecordCopyPresenceAsync(policy.Name, destination, [], DateTimeOffset.UtcNow, CancellationToken.None).ConfigureAwait(false);
            Log.TargetUnreadable(_logger, destination, policy.Name, ex.Message);
            return new TargetCopyOutcome(destination, null, ex.Message);
        }
    }
}
