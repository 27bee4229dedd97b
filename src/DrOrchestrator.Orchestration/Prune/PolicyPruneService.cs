using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Prune;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Runs;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Prune;

/// <summary>
/// `prune &lt;policy&gt;`: on each target of the policy (or the one asked for), applies the policy's
/// retention in its schedule's time zone to the policy's snapshots found in the repository, then
/// forgets the others and reclaims space with the lock-free <see cref="Pruner"/>. Order for "no
/// catalog row points at missing data": the catalog forgets a snapshot on a target before the
/// repository deletes it. A target that fails does not stop the others; each target's prune is
/// a run of kind prune in the catalog.
/// </summary>
public sealed class PolicyPruneService
{
    private readonly CatalogStore _catalog;
    private readonly RepositoryAccess _repositories;
    private readonly Pruner _pruner;
    private readonly IConfiguration _configuration;
    private readonly ILogger<PolicyPruneService> _logger;

    public PolicyPruneService(CatalogStore catalog, RepositoryAccess repositories, Pruner pruner, IConfiguration configuration, ILogger<PolicyPruneService> logger)
    {
        _catalog = catalog;
        _repositories = repositories;
        _pruner = pruner;
        _configuration = configuration;
        _logger = logger;
    }

    /// <exception cref="PolicyNotFoundException">No such policy.</exception>
    /// <exception cref="ConfigurationException">The target is not one of the policy's, or the Prune section is invalid.</exception>
    public async Task<PruneInfo> PruneAsync(string policyName, string? target, bool dryRun, CancellationToken cancellationToken)
    {
        var policy = (await _catalog.GetPolicyAsync(policyName, cancellationToken).ConfigureAwait(false)
            ?? throw new PolicyNotFoundException(policyName)).ToPolicy();
        var options = PruneSettings.Read(_configuration) with { Checkpoint = CrashTestHook.At };
        var targets = policy.Targets.Select(t => t.Name).ToList();
        if (target is not null)
        {
            targets = targets.Contains(target, StringComparer.Ordinal)
                ? [target]
                : throw new ConfigurationException($"--target {target}: policy {policy.Name} has no such target (its targets: {string.Join(", ", targets)})");
        }

        var zone = TimeZoneInfo.FindSystemTimeZoneById(policy.Schedule.TimeZone);
        var results = new List<PruneTargetInfo>();
        foreach (var name in targets)
        {
            results.Add(await PruneTargetAsync(policy, name, zone, dryRun, options, cancellationToken).ConfigureAwait(false));
        }

        return new PruneInfo(policy.Name, dryRun, results);
    }

    private async Task<PruneTargetInfo> PruneTargetAsync(Policy policy, string target, TimeZoneInfo zone, bool dryRun, PruneOptions options, CancellationToken cancellationToken)
    {
        long? runId = null;
        List<PruneSnapshotInfo> decisions = [];
        try
        {
            await using var repository = dryRun
                ? await _repositories.OpenReadOnlyAsync(target, cancellationToken).ConfigureAwait(false)
                : await _repositories.OpenAsync(target, cancellationToken).ConfigureAwait(false);
            var listed = await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false);
            var snapshots = listed.Where(s => s.PolicyName == policy.Name).Select(s => new RetentionCandidate(s.Id, s.Time));
            decisions = [.. RetentionPlanner.Evaluate(snapshots, policy.Retention, zone).Select(d => new PruneSnapshotInfo(d.Id, d.Time, d.Keep, d.KeptBy))];
            if (dryRun)
            {
                return new PruneTargetInfo(target, decisions, null, null);
            }

            runId = await _catalog.StartRunAsync(policy.Name, RunKind.Prune, target, CancellationToken.None).ConfigureAwait(false);
            var forget = decisions.Where(d => !d.Keep).Select(d => d.Id).ToList();
            // The orchestrator's own records have a fixed retention, applied by every prune of the target (docs/decisions.md §58).
            forget.AddRange(RetentionPlanner.Evaluate(
                    listed.Where(SystemRecords.IsRecord).Select(s => new RetentionCandidate(s.Id, s.Time)), SystemRecords.Retention, TimeZoneInfo.Utc)
                .Where(d => !d.Keep).Select(d => d.Id));
            await _catalog.RemoveSnapshotPresenceAsync(target, forget, cancellationToken).ConfigureAwait(false);
            var report = await _pruner.PruneAsync(repository, forget, options, cancellationToken).ConfigureAwait(false);
            await _catalog.CompleteRunAsync(runId.Value, RunStatus.Succeeded, RunFigures.None, [], null, CancellationToken.None).ConfigureAwait(false);
            Log.Pruned(_logger, policy.Name, target, report.SnapshotsForgotten, report.PacksDeleted, report.BytesDeleted, report.MarksPending);
            return new PruneTargetInfo(target, decisions, PruneFiguresInfo.From(report), null);
        }
        catch (Exception ex) when (ex is RepositoryException or ObjectStoreException or CatalogException)
        {
            if (runId is { } started)
            {
                await _catalog.CompleteRunAsync(started, RunStatus.Failed, RunFigures.None, [], ex.Message, CancellationToken.None).ConfigureAwait(false);
            }

            Log.PruneFailed(_logger, policy.Name, target, ex.Message);
            return new PruneTargetInfo(target, decisions, null, ex.Message);
        }
        catch (OperationCanceledException) when (runId is { } started)
        {
            await _catalog.CompleteRunAsync(started, RunStatus.Cancelled, RunFigures.None, [], "cancelled", CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }
}
