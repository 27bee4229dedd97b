using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Targets;

namespace DrOrchestrator.Orchestration.Snapshots;

/// <summary>
/// `snapshots`: a policy's (or every) snapshot, oldest recovery point first — from the catalog,
/// with each snapshot's presence per target, or straight from one target's repository (what
/// works when the catalog is gone).
/// </summary>
public sealed class SnapshotListService
{
    /// <summary>Lazy: a listing from a target never loads EF Core or a database driver.</summary>
    private readonly Lazy<CatalogStore> _catalog;

    /// <summary>Lazy: a listing from the catalog neither binds nor validates the targets (the cost `snapshots` had before).</summary>
    private readonly Lazy<RepositoryAccess> _repositories;

    public SnapshotListService(Lazy<CatalogStore> catalog, Lazy<RepositoryAccess> repositories)
    {
        _catalog = catalog;
        _repositories = repositories;
    }

    /// <summary>
    /// From <paramref name="fromTarget"/>'s repository when given, else from the catalog (whose schema the caller keeps current).
    /// With <paramref name="unknownPolicyIsError"/> (the CLI's catalog-less listing), a policy none of the
    /// target's snapshots carries is refused like an unknown name, listing the policies the target holds;
    /// otherwise (the API, where the catalog knows the policy) it is an empty list.
    /// </summary>
    public Task<IReadOnlyList<SnapshotListItem>> ListAsync(string? policy, string? fromTarget, CancellationToken cancellationToken, bool unknownPolicyIsError = false) =>
        fromTarget is null ? FromCatalogAsync(policy, cancellationToken) : FromTargetAsync(fromTarget, policy, unknownPolicyIsError, cancellationToken);

    private async Task<IReadOnlyList<SnapshotListItem>> FromCatalogAsync(string? policy, CancellationToken cancellationToken)
    {
        var snapshots = await _catalog.Value.ListSnapshotsAsync(policy, cancellationToken).ConfigureAwait(false);
        // A policy without snapshots is either new (listed: "0 snapshots") or a typo (refused).
        if (policy is not null && snapshots.Count == 0 && await _catalog.Value.GetPolicyAsync(policy, cancellationToken).ConfigureAwait(false) is null)
        {
            throw await PolicyNotFoundException.FromCatalogAsync(_catalog.Value, policy, cancellationToken).ConfigureAwait(false);
        }

        return [.. snapshots.OrderBy(s => s.Figures.RecoveryPoint).Select(SnapshotListItem.FromCatalog)];
    }

    private async Task<IReadOnlyList<SnapshotListItem>> FromTargetAsync(string target, string? policy, bool unknownPolicyIsError, CancellationToken cancellationToken)
    {
        await using var repository = await _repositories.Value.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        // The orchestrator's own records are not recovery points of a policy (docs/decisions.md §58).
        var snapshots = (await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Where(s => !SystemRecords.IsRecord(s)).ToList();
        // Without the catalog, the target's snapshots are all that says which policies exist: a name
        // none of them carries is refused as everywhere else, naming the policies the target holds.
        if (unknownPolicyIsError && policy is not null && !snapshots.Any(s => s.PolicyName == policy))
        {
            throw new PolicyNotFoundException(policy, [.. snapshots.Select(s => s.PolicyName).OfType<string>().Distinct(StringComparer.Ordinal)]);
        }

        return [.. snapshots
            .Where(s => policy is null || s.PolicyName == policy)
            .OrderBy(s => s.RecoveryPoint)
            .Select(s => SnapshotListItem.FromRepository(s, target))];
    }
}
