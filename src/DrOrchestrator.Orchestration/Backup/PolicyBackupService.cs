using System.Diagnostics;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Replication;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Orchestration.Policies;
using DrOrchestrator.Orchestration.Replication;
using DrOrchestrator.Orchestration.Runs;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Orchestration.Backup;

/// <summary>
/// Runs one backup of a policy: the sources are read once and written to every reachable primary
/// in parallel; one snapshot holding every source of the policy is committed (one run = one
/// recovery point); the run, its figures and the snapshot's presence per target are recorded in
/// the catalog; then replicas (and any primary that missed the run) are filled by a copy that
/// never fails the backup.
/// </summary>
/// <remarks>
/// Order matters for "no catalog row points at missing data": the catalog learns of a snapshot
/// only after the engine has committed it (packs → indexes → snapshot object) on the primaries.
/// A failed or cancelled run is recorded as such, with no snapshot row.
/// </remarks>
public sealed class PolicyBackupService
{
    private readonly CatalogStore _catalog;
    private readonly RepositoryAccess _repositories;
    private readonly Archiver _archiver;
    private readonly RepositoryReplicator _replicator;
    private readonly ReplicaCopyService _copies;
    private readonly ILogger<PolicyBackupService> _logger;
    private readonly Dictionary<string, IDatabaseEngine> _engines;
    private readonly CatalogRebuild.SystemBackupService? _systemBackup;

    public PolicyBackupService(
        CatalogStore catalog, RepositoryAccess repositories, Archiver archiver, RepositoryReplicator replicator, ReplicaCopyService copies, ILogger<PolicyBackupService> logger,
        IEnumerable<IDatabaseEngine>? engines = null, CatalogRebuild.SystemBackupService? systemBackup = null)
    {
        _systemBackup = systemBackup;
        _engines = (engines ?? []).ToDictionary(e => e.Type, StringComparer.Ordinal);
        _catalog = catalog;
        _repositories = repositories;
        _archiver = archiver;
        _replicator = replicator;
        _copies = copies;
        _logger = logger;
    }

    public Task<PolicyBackupOutcome> BackupAsync(string policyName, IProgress<BackupProgress>? progress, CancellationToken cancellationToken) =>
        BackupAsync(policyName, new BackupRunOptions(), progress, cancellationToken);

    public async Task<PolicyBackupOutcome> BackupAsync(string policyName, BackupRunOptions options, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        var stored = await _catalog.GetPolicyAsync(policyName, cancellationToken).ConfigureAwait(false)
            ?? throw await PolicyNotFoundException.FromCatalogAsync(_catalog, policyName, cancellationToken).ConfigureAwait(false);
        var policy = stored.ToPolicy();
        var sources = CreateSources(policy);
        EnsureEverySourceExists(policy);
        var primaryNames = policy.Primaries.Select(t => t.Name).ToList();
        // The run's row and the targets' preparation (probe, catch-up, opening the repository: a
        // key derivation and index reads) do not depend on each other, so they overlap; a cold
        // catalog insert costs about as much as opening a repository (docs/decisions.md §17). The row is
        // awaited before the archiver writes anything, so no snapshot exists without its run, and it
        // is created whatever the token says, so a cancelled run is still recorded as one.
        // Task.Run: the SQLite provider's "async" calls complete synchronously.
        var runStart = Task.Run(() => _catalog.StartRunAsync(policy.Name, RunKind.Backup, primaryNames[0], CancellationToken.None), CancellationToken.None);
        var clock = Stopwatch.StartNew();
        var results = new List<BackupResult>();
        PrimarySet? primaries = null;
        try
        {
            long runId;
            primaries = await PrimarySet.PrepareAsync(
                primaryNames, policy.MinPrimaries, _repositories.Targets, _replicator, _repositories.KeyFor(primaryNames[0]), _logger, cancellationToken).ConfigureAwait(false);
            await using (var repository = await _repositories.OpenOrInitAsync(
                primaries.Store, _repositories.KeyFor(primaryNames[0]), cancellationToken).ConfigureAwait(false))
            {
                var parent = await FindParentAsync(policy, primaries, repository, cancellationToken).ConfigureAwait(false);
                runId = await runStart.ConfigureAwait(false);
                results.Add(await SourceBackupRunner.RunAsync(
                    repository, sources, new SnapshotRequest(policy.Name, parent, Tags: null), progress, cancellationToken).ConfigureAwait(false));
            }

            CrashTestHook.At(CrashTestHook.AfterRepositoryCommit);
            await RecordSnapshotsAsync(policy, primaries, results, cancellationToken).ConfigureAwait(false);
            var copies = options.CopyAfterBackup
                ? await CopyAsync(policy, primaries, cancellationToken).ConfigureAwait(false)
                : [];
            var outcome = new PolicyBackupOutcome(policy, primaries.Complete.First().Name, runId, results, clock.Elapsed)
            {
                MissingPrimaries = [.. primaries.Missing.Select(m => $"{m.Name}: {m.Reason}")],
                Copies = copies,
                CompletePrimaries = [.. primaries.Complete.Select(t => t.Name)],
            };
            await _catalog.CompleteRunAsync(runId, outcome.Status, outcome.RunFigures, outcome.RunErrors, outcome.MissingPrimaries.FirstOrDefault(), CancellationToken.None).ConfigureAwait(false);
            if (_systemBackup is not null)
            {
                // "At least daily": a target whose last system record is older than a day gets one now (docs/decisions.md §58).
                await _systemBackup.WriteQuietlyAsync([.. policy.Targets.Select(t => t.Name)], onlyIfDue: true, cancellationToken).ConfigureAwait(false);
            }

            return outcome;
        }
        catch (Exception ex)
        {
            var reason = ex is OperationCanceledException ? "cancelled" : ex.Message;
            // Without a run row (the catalog failed to record the start) there is nothing to complete.
            if (await RunIdOrNullAsync(runStart).ConfigureAwait(false) is { } started)
            {
                var partial = new PolicyBackupOutcome(policy, primaryNames[0], started, results, clock.Elapsed);
                var status = ex is OperationCanceledException ? RunStatus.Cancelled : RunStatus.Failed;
                await _catalog.CompleteRunAsync(started, status, partial.RunFigures, partial.RunErrors, reason, CancellationToken.None).ConfigureAwait(false);
            }

            Log.BackupFailed(_logger, policy.Name, reason);
            throw;
        }
    }

    /// <summary>
    /// The run's sources: every <c>files</c> source of the policy in one file pipeline (as before
    /// database sources existed), then each database source through its engine. A run backs up
    /// every source of its policy or none: a source type this build cannot back up is refused
    /// before anything is written, never skipped. (The policy parser refuses unknown types too;
    /// this guards a catalog written by a newer build, or a build without that engine.)
    /// </summary>
    private List<IBackupSource> CreateSources(Policy policy)
    {
        var problems = new List<PolicyProblem>();
        var sources = new List<IBackupSource>();
        var trees = policy.Sources.OfType<FilesSource>().Select(s => new FileTree(s.Paths, s.Include, s.Exclude)).ToList();
        if (trees.Count > 0)
        {
            sources.Add(new FileTreesSource(_archiver, trees));
        }

        for (int i = 0; i < policy.Sources.Count; i++)
        {
            switch (policy.Sources[i])
            {
                case FilesSource:
                    break;
                case DatabaseSource database when _engines.TryGetValue(database.Type, out var engine):
                    sources.Add(engine.CreateSource(database));
                    break;
                default:
                    problems.Add(new PolicyProblem($"policy {policy.Name}", 0, $"sources[{i}].type",
                        $"source type '{policy.Sources[i].Type}' cannot be backed up by this version (supported: {string.Join(", ", SupportedTypes)})"));
                    break;
            }
        }

        return problems.Count > 0 ? throw new PolicyValidationException(problems) : sources;
    }

    private IEnumerable<string> SupportedTypes => [FilesSource.TypeName, .. _engines.Keys.Order(StringComparer.Ordinal)];

    /// <summary>
    /// A source path that does not exist is refused before anything is written (no run, no
    /// snapshot): an unmounted volume or a typo would otherwise commit an empty snapshot that looks
    /// like a good recovery point (docs/decisions.md §44). "vanished" stays the word for files that
    /// disappear while the run scans them.
    /// </summary>
    private static void EnsureEverySourceExists(Policy policy)
    {
        var missing = policy.Sources.OfType<FilesSource>().SelectMany(s => s.Paths)
            .Where(p => !Path.Exists(p) && new FileInfo(p).LinkTarget is null)
            .ToList();
        if (missing.Count > 0)
        {
            throw new SourceNotFoundException(policy.Name, missing);
        }
    }

    /// <summary>
    /// The parent for change detection: the newest snapshot of the policy that the catalog knows
    /// present on the first usable primary, read by id. Only when the catalog has none, or that
    /// object cannot be read, is the repository's snapshot list read (every snapshot object
    /// downloaded and decrypted) and its newest snapshot of the policy taken.
    /// </summary>
    private async Task<Core.Repository.Snapshot?> FindParentAsync(
        Policy policy, PrimarySet primaries, Core.Repository.BackupRepository repository, CancellationToken cancellationToken)
    {
        var target = primaries.Targets.First(t => t.Unavailable is null).Name;
        var id = await _catalog.GetNewestSnapshotIdAsync(policy.Name, target, cancellationToken).ConfigureAwait(false);
        if (id is not null && await repository.TryLoadSnapshotAsync(id, cancellationToken).ConfigureAwait(false) is { } known
            && known.PolicyName == policy.Name)
        {
            return known;
        }

        Log.ParentFromRepositoryListing(_logger, policy.Name, target, id ?? "none");
        var snapshots = await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false);
        return snapshots.LastOrDefault(s => s.PolicyName == policy.Name);
    }

    /// <summary>The started run's id, or null when starting it failed (that failure is what the caller sees, or its own).</summary>
    private static async Task<long?> RunIdOrNullAsync(Task<long> runStart)
    {
        try
        {
            return await runStart.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }
    }

    private async Task RecordSnapshotsAsync(Policy policy, PrimarySet primaries, List<BackupResult> results, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var complete = primaries.Complete.Select(t => t.Name).ToList();
        foreach (var result in results)
        {
            await _catalog.RecordSnapshotAsync(policy.Name, SnapshotRecords.Figures(result.Snapshot), complete[0], now, cancellationToken).ConfigureAwait(false);
            foreach (var other in complete.Skip(1))
            {
                await _catalog.SetPresenceAsync(result.Snapshot.Id, other, PresenceStatus.Present, now, null, cancellationToken).ConfigureAwait(false);
            }

            foreach (var (missing, _) in primaries.Missing)
            {
                await _catalog.SetPresenceAsync(result.Snapshot.Id, missing, PresenceStatus.Missing, null, null, cancellationToken).ConfigureAwait(false);
            }

            Log.SnapshotCommitted(_logger, policy.Name, result.Snapshot.Id, string.Join(",", complete), result.Snapshot.Summary.TotalFiles, result.Snapshot.Summary.BytesStored);
        }
    }

    /// <summary>Replicas and primaries that missed this run catch up from a complete primary.</summary>
    private async Task<IReadOnlyList<TargetCopyOutcome>> CopyAsync(Policy policy, PrimarySet primaries, CancellationToken cancellationToken)
    {
        var destinations = policy.Replicas.Select(r => r.Name).Concat(primaries.Missing.Select(m => m.Name)).ToList();
        if (destinations.Count == 0)
        {
            return [];
        }

        var source = primaries.Complete.First();
        return await _copies.CopyAsync(policy, source.Name, source.Store, destinations, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>How a backup run behaves beyond the policy (CLI flags, server job settings).</summary>
public sealed record BackupRunOptions(bool CopyAfterBackup = true);
