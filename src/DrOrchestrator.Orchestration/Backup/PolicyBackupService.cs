using System.Diagnostics;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Backup;

/// <summary>
/// Runs one backup of a policy: every file source is read once into the primary repository,
/// a snapshot per source is committed, and the run, its figures and each snapshot's presence
/// on the target are recorded in the catalog.
/// </summary>
/// <remarks>
/// Order matters for "no catalog row points at missing data": the catalog learns of a snapshot
/// only after the engine has committed it (packs → indexes → snapshot object) on the target.
/// A failed or cancelled run is recorded as such, with no snapshot row.
/// </remarks>
public sealed class PolicyBackupService
{
    private readonly CatalogStore _catalog;
    private readonly RepositoryAccess _repositories;
    private readonly Archiver _archiver;
    private readonly ILogger<PolicyBackupService> _logger;

    public PolicyBackupService(CatalogStore catalog, RepositoryAccess repositories, Archiver archiver, ILogger<PolicyBackupService> logger)
    {
        _catalog = catalog;
        _repositories = repositories;
        _archiver = archiver;
        _logger = logger;
    }

    public async Task<PolicyBackupOutcome> BackupAsync(string policyName, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        var stored = await _catalog.GetPolicyAsync(policyName, cancellationToken).ConfigureAwait(false)
            ?? throw new PolicyNotFoundException(policyName);
        var policy = stored.ToPolicy();
        var primary = policy.Primaries.First().Name;
        var runId = await _catalog.StartRunAsync(policy.Name, RunKind.Backup, cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        var results = new List<BackupResult>();
        try
        {
            await using var repository = await _repositories.OpenOrInitAsync(primary, cancellationToken).ConfigureAwait(false);
            var existing = await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false);
            foreach (var source in policy.Sources.OfType<FilesSource>())
            {
                var parent = existing.LastOrDefault(s => s.PolicyName == policy.Name && s.Paths.SequenceEqual(source.Paths));
                var request = new FileBackupRequest(source.Paths, source.Include, source.Exclude, policy.Name, parent, Tags: null);
                var result = await _archiver.BackupAsync(repository, request, progress, cancellationToken).ConfigureAwait(false);
                results.Add(result);
                await _catalog.RecordSnapshotAsync(policy.Name, SnapshotRecords.Figures(result.Snapshot), primary, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
                Log.SnapshotCommitted(_logger, policy.Name, result.Snapshot.Id, primary, result.Snapshot.Summary.TotalFiles, result.Snapshot.Summary.BytesStored);
            }

            var outcome = new PolicyBackupOutcome(policy, primary, runId, results, clock.Elapsed);
            await _catalog.CompleteRunAsync(runId, outcome.Status, outcome.RunFigures, outcome.RunErrors, null, CancellationToken.None).ConfigureAwait(false);
            return outcome;
        }
        catch (Exception ex)
        {
            var partial = new PolicyBackupOutcome(policy, primary, runId, results, clock.Elapsed);
            var reason = ex is OperationCanceledException ? "cancelled" : ex.Message;
            await _catalog.CompleteRunAsync(runId, RunStatus.Failed, partial.RunFigures, partial.RunErrors, reason, CancellationToken.None).ConfigureAwait(false);
            Log.BackupFailed(_logger, policy.Name, ex.Message);
            throw;
        }
    }
}
