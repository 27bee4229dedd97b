using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Replication;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Configuration;
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
/// Fills replica targets (and primaries that missed a run) from the targets that have what they
/// lack: only missing objects move, packs are verified by SHA-256 on arrival, snapshots appear
/// last. The catalog records, per snapshot and target, when it became complete there — the basis
/// of per-target RPO. A target that cannot be reached is reported, never fatal: its lag simply
/// grows until it is back.
/// </summary>
public sealed class ReplicaCopyService
{
    private readonly CatalogStore _catalog;
    private readonly TargetRegistry _targets;
    private readonly RepositoryAccess _repositories;
    private readonly RepositoryReplicator _replicator;
    private readonly ILogger<ReplicaCopyService> _logger;

    public ReplicaCopyService(
        CatalogStore catalog, TargetRegistry targets, RepositoryAccess repositories, RepositoryReplicator replicator, ILogger<ReplicaCopyService> logger)
    {
        _catalog = catalog;
        _targets = targets;
        _repositories = repositories;
        _replicator = replicator;
        _logger = logger;
    }

    /// <summary>Copies from <paramref name="source"/> (target <paramref name="sourceName"/>) to every destination; one outcome per destination.</summary>
    public async Task<IReadOnlyList<TargetCopyOutcome>> CopyAsync(
        Policy policy, string sourceName, IObjectStore source, IEnumerable<string> destinations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destinations);
        var outcomes = new List<TargetCopyOutcome>();
        foreach (var destination in destinations)
        {
            outcomes.Add(await CopyOneAsync(policy, sourceName, source, destination, cancellationToken).ConfigureAwait(false));
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

    /// <summary>
    /// Every target of the policy, primaries included, receives the snapshots it lacks from a
    /// target that holds them (docs/decisions.md §55): the snapshot lists of all targets are read
    /// first (no key needed), the target holding the most is the reference (primaries first on a
    /// tie) and is left out unless it lacks something another holds; each other target copies
    /// from whichever target holds most of what it lacks, then from the next while anything is
    /// still missing. A lagging primary is therefore filled, never used as the source.
    /// </summary>
    public async Task<IReadOnlyList<TargetCopyOutcome>> CatchUpAsync(Policy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var views = await Task.WhenAll(policy.Targets.Select(t => ViewAsync(policy, t, cancellationToken))).ConfigureAwait(false);
        var holders = views.Where(v => v.HasRepository).ToList();
        if (holders.Count == 0)
        {
            throw new ObjectStoreException("copy", null, $"no target of policy '{policy.Name}' is reachable with a repository", isTransient: true);
        }

        // OrderBy is stable: among equal counts, the policy's order (primaries are listed first by convention, and ranked first here).
        var reference = holders.OrderByDescending(v => v.Snapshots.Count).ThenBy(v => v.Target.Role == TargetRole.Primary ? 0 : 1).First();
        var everySnapshot = holders.SelectMany(v => v.Snapshots).ToHashSet(StringComparer.Ordinal);
        var outcomes = new List<TargetCopyOutcome>();
        foreach (var destination in views)
        {
            var lacking = everySnapshot.Where(id => !destination.Snapshots.Contains(id)).ToHashSet(StringComparer.Ordinal);
            if (ReferenceEquals(destination, reference) && lacking.Count == 0)
            {
                continue;
            }

            var sources = holders.Where(h => !ReferenceEquals(h, destination))
                .OrderByDescending(h => h.Snapshots.Count(lacking.Contains))
                .ThenBy(h => ReferenceEquals(h, reference) ? 0 : 1)
                .ThenBy(h => h.Target.Role == TargetRole.Primary ? 0 : 1)
                .ToList();
            if (sources.Count == 0)
            {
                continue;
            }

            var parts = new List<TargetCopyOutcome>();
            foreach (var source in sources)
            {
                if (parts.Count > 0 && !source.Snapshots.Any(lacking.Contains))
                {
                    break;
                }

                var part = await CopyOneAsync(policy, source.Target.Name, source.Store, destination.Target.Name, cancellationToken).ConfigureAwait(false);
                parts.Add(part);
                lacking.ExceptWith(part.Report?.SnapshotsCopied ?? []);
                lacking.ExceptWith(part.Report?.SnapshotsAlreadyPresent ?? []);
                if (lacking.Count == 0 || part.Report is null)
                {
                    break; // complete, or the destination itself failed
                }
            }

            outcomes.Add(Merge(destination.Target.Name, parts));
        }

        return outcomes;
    }

    /// <summary>One target as the copy sees it: readable, holding a repository, and which snapshots.</summary>
    private sealed record TargetView(PolicyTarget Target, IObjectStore Store, bool HasRepository, IReadOnlySet<string> Snapshots);

    private async Task<TargetView> ViewAsync(Policy policy, PolicyTarget target, CancellationToken cancellationToken)
    {
        // A source is only read: opened read-only, a copy can never modify the good copy.
        var store = _targets.OpenReadOnly(target.Name);
        try
        {
            if (!await BackupRepository.ExistsAsync(store, cancellationToken).ConfigureAwait(false))
            {
                return new TargetView(target, store, false, new HashSet<string>());
            }

            var snapshots = await RepositoryReplicator.ListSnapshotIdsAsync(store, cancellationToken).ConfigureAwait(false);
            return new TargetView(target, store, true, snapshots.ToHashSet(StringComparer.Ordinal));
        }
        catch (ObjectStoreException ex)
        {
            Log.TargetUnreadable(_logger, target.Name, policy.Name, ex.Message);
            return new TargetView(target, store, false, new HashSet<string>());
        }
    }

    /// <summary>The copies to one destination from one or more sources, as one outcome.</summary>
    private static TargetCopyOutcome Merge(string destination, List<TargetCopyOutcome> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0];
        }

        var reports = parts.Select(p => p.Report).OfType<ReplicationReport>().ToList();
        var last = reports.LastOrDefault();
        var report = last is null ? null : new ReplicationReport(
            reports.Sum(r => r.PacksCopied),
            reports.Sum(r => r.BytesCopied),
            reports.Sum(r => r.IndexesCopied),
            [.. reports.SelectMany(r => r.SnapshotsCopied).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            [.. reports.SelectMany(r => r.SnapshotsAlreadyPresent).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            [.. reports.SelectMany(r => r.Errors)],
            TimeSpan.FromTicks(reports.Sum(r => r.Elapsed.Ticks)))
        {
            SnapshotsPending = last.SnapshotsPending,
            Skipped = [.. reports.SelectMany(r => r.Skipped)],
        };
        return new TargetCopyOutcome(destination, report, parts.Select(p => p.Error).FirstOrDefault(e => e is not null));
    }

    private RepositoryKey? SourceKey(string sourceName)
    {
        try
        {
            return _repositories.KeyFor(sourceName);
        }
        catch (Exception ex) when (ex is ConfigurationException or SecretNotFoundException or ArgumentException)
        {
            // Without the key a damaged leftover pack holds snapshots back instead of being skipped; the copy still works.
            return null;
        }
    }

    private async Task<TargetCopyOutcome> CopyOneAsync(Policy policy, string sourceName, IObjectStore source, string destination, CancellationToken cancellationToken)
    {
        var runId = await _catalog.StartRunAsync(policy.Name, RunKind.Copy, destination, cancellationToken).ConfigureAwait(false);
        try
        {
            var store = _targets.Open(destination);
            var options = new ReplicationOptions { SourceKey = SourceKey(sourceName) };
            var report = await _replicator.ReplicateAsync(source, store, options, null, cancellationToken).ConfigureAwait(false);
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
