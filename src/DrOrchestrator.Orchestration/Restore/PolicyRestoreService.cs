using System.Diagnostics;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Core.Security;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Core.Storage.Composite;
using DrOrchestrator.Orchestration.Backup;
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
    bool Overwrite)
{
    /// <summary>Keep files that could not be verified as <c>NAME.drorch-damaged</c> (default: removed).</summary>
    public bool KeepDamaged { get; init; }

    /// <summary>Do not restore owners (restored only when running as root anyway).</summary>
    public bool SkipOwners { get; init; }

    /// <summary>Remove what the destination holds beyond the snapshot (<c>--delete</c>).</summary>
    public bool Delete { get; init; }
}

public sealed record PolicyRestoreOutcome(Snapshot Snapshot, string Target, RestoreResult Result, TimeSpan Elapsed)
{
    /// <summary>Copies that were bad or unreachable and were skipped, as "store: key: reason".</summary>
    public IReadOnlyList<string> BadCopies { get; init; } = [];

    /// <summary>Why the catalog was not used to order the targets (it failed or did not answer); null when it was.</summary>
    public string? CatalogProblem { get; init; }
}

/// <summary>One place to restore from: a single target, or a policy's targets read as one fallback set.</summary>
internal sealed record RestoreCandidate(string Name, IReadOnlyList<string> Targets);

/// <summary>
/// Collects the fallback reader's reports of bad copies on the reporting thread (Progress&lt;T&gt;
/// would post them to the thread pool, and some could arrive after the restore returned).
/// </summary>
internal sealed class BadCopyLog(Action<string> log) : IProgress<ReadFallbackEvent>
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _entries = new();

    public IReadOnlyList<string> Entries => [.. _entries];

    public void Report(ReadFallbackEvent value)
    {
        _entries.Enqueue(value.ToString());
        log(value.ToString());
    }
}

/// <summary>
/// Restores a policy's snapshot into a directory — designed for the incident, so it needs
/// nothing but a target and the key: the repository on the target is self-describing, and the
/// catalog is only consulted (for the policy's target order) when it is there. Targets are
/// tried in order until one holds the wanted snapshot and can be read: the policy's own targets
/// (primaries, then replicas) when the catalog names them — never another target the policy does
/// not name, unless <c>--from</c> asks for it — or every configured target when the catalog is gone.
/// </summary>
public sealed class PolicyRestoreService
{
    /// <summary>Lazy: a restore that does not consult the catalog never loads EF Core or a database driver.</summary>
    private readonly Lazy<CatalogStore> _catalog;
    private readonly RepositoryAccess _repositories;
    private readonly Restorer _restorer;
    private readonly ILogger<PolicyRestoreService> _logger;
    private readonly Dictionary<string, IDatabaseEngine> _engines;

    /// <summary>How long a restore waits for the catalog before it falls back to every configured target.</summary>
    public static TimeSpan CatalogLookupTimeout { get; } = TimeSpan.FromSeconds(5);

    public PolicyRestoreService(
        Lazy<CatalogStore> catalog, RepositoryAccess repositories, Restorer restorer, ILogger<PolicyRestoreService> logger, IEnumerable<IDatabaseEngine>? engines = null)
    {
        _engines = (engines ?? []).ToDictionary(e => e.Type, StringComparer.Ordinal);
        _catalog = catalog;
        _repositories = repositories;
        _restorer = restorer;
        _logger = logger;
    }

    public async Task<PolicyRestoreOutcome> RestoreAsync(PolicyRestoreRequest request, IProgress<RestoreProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var badCopies = new BadCopyLog(e => Log.ReadFallback(_logger, request.Policy, e));
        return await FromFirstReadableAsync(request, badCopies, async (repository, snapshot, target, catalogProblem) =>
        {
            var result = await _restorer.RestoreAsync(
                repository, new RestoreRequest(snapshot, request.Destination, request.Include, request.Overwrite)
                {
                    KeepDamaged = request.KeepDamaged,
                    SkipOwners = request.SkipOwners,
                    Delete = request.Delete,
                }, progress, cancellationToken).ConfigureAwait(false);
            Log.Restored(_logger, request.Policy, snapshot.Id, target, request.Destination, result.FilesVerified);
            if (result.Failures.Count == 0)
            {
                await RecordThroughputAsync(request.Policy, target, snapshot, result.Bytes, result.FilesVerified, clock.Elapsed, catalogProblem).ConfigureAwait(false);
            }

            return new PolicyRestoreOutcome(snapshot, target, result, clock.Elapsed)
            {
                BadCopies = badCopies.Entries,
                CatalogProblem = catalogProblem,
            };
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Restores one database of a snapshot's database source into <see cref="PolicyDatabaseRestoreRequest.ToDb"/>
    /// (a new or empty database; a non-empty one only with overwrite) through the source type's
    /// engine, which then compares the restored database with the fingerprint taken at backup.
    /// </summary>
    /// <exception cref="DatabaseRestoreRefusedException">No such source or database in the snapshot, no engine for it, or the destination is not empty.</exception>
    public async Task<PolicyDatabaseRestoreOutcome> RestoreDatabaseAsync(PolicyDatabaseRestoreRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clock = Stopwatch.StartNew();
        var badCopies = new BadCopyLog(e => Log.ReadFallback(_logger, request.Policy, e));
        var selection = new PolicyRestoreRequest(request.Policy, request.SnapshotId, request.At, request.FromTarget, [], request.ToDb, request.Overwrite);
        return await FromFirstReadableAsync(selection, badCopies, async (repository, snapshot, target, catalogProblem) =>
        {
            var source = DatabaseSourceOf(snapshot, request.Source);
            if (!_engines.TryGetValue(source.Type, out var engine))
            {
                throw new DatabaseRestoreRefusedException($"this build cannot restore {source.Type} sources");
            }

            var manifest = await SnapshotItems.LoadManifestAsync(repository, source, cancellationToken).ConfigureAwait(false);
            DatabaseDump dump;
            try
            {
                dump = manifest.Find(request.Database);
            }
            catch (ArgumentException e)
            {
                throw new DatabaseRestoreRefusedException(e.Message, e);
            }

            Log.DatabaseRestoreStarting(_logger, request.Policy, snapshot.Id, target, source.Entries[0], dump.Name);
            var password = request.PasswordEnvironmentVariable is null ? null : new SecretReference(request.PasswordEnvironmentVariable, null);
            var result = await engine.RestoreAsync(
                new DatabaseRestoreRequest(manifest, dump, request.ToDb, password, request.Overwrite, (item, ct) => SnapshotItems.OpenAsync(repository, snapshot, item, ct)),
                cancellationToken).ConfigureAwait(false);
            Log.DatabaseRestored(_logger, request.Policy, snapshot.Id, dump.Name, result.Tables, result.Rows);
            await RecordThroughputAsync(request.Policy, target, snapshot, result.BytesRestored, 1, clock.Elapsed, catalogProblem).ConfigureAwait(false);
            return new PolicyDatabaseRestoreOutcome(snapshot, target, source.Entries[0], result, clock.Elapsed);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static SnapshotSource DatabaseSourceOf(Snapshot snapshot, string? name)
    {
        var databases = (snapshot.Sources ?? []).Where(s => s.Manifest is not null && s.Entries.Count == 1).ToList();
        if (name is not null)
        {
            return databases.FirstOrDefault(s => s.Entries[0] == name)
                ?? throw new DatabaseRestoreRefusedException(
                    $"snapshot {snapshot.ShortId} has no database source '{name}' (it has: {Names(databases)})");
        }

        return databases.Count == 1 ? databases[0]
            : throw new DatabaseRestoreRefusedException(databases.Count == 0
                ? $"snapshot {snapshot.ShortId} holds no database source; restore it with --to DIR"
                : $"snapshot {snapshot.ShortId} holds several database sources ({Names(databases)}); name one with --source");

        static string Names(List<SnapshotSource> sources) => sources.Count == 0 ? "none" : string.Join(", ", sources.Select(s => s.Entries[0]));
    }

    /// <summary>
    /// Records a restore that succeeded as a finished run of kind restore (bytes, files, duration),
    /// so the predicted RTO learns from real restores as well as from drills (§41, §57). Done only
    /// once the data is back, waited for at most <see cref="CatalogLookupTimeout"/>, skipped when the
    /// catalog already failed this restore, and never fatal: the catalog may be what the incident
    /// took. The run names the target read; a restore through the policy's fallback set (several
    /// targets, each pack from the healthiest copy) is attributed to the set's first target.
    /// </summary>
    private async Task RecordThroughputAsync(string policy, string target, Snapshot snapshot, long bytes, long files, TimeSpan elapsed, string? catalogProblem)
    {
        if (catalogProblem is not null)
        {
            return;
        }

        var first = target.Split('+')[0];
        try
        {
            await _catalog.Value.RecordFinishedRunAsync(
                policy, RunKind.Restore, first, elapsed, RunStatus.Succeeded, new RunFigures(bytes, 0, 0, files, 0, snapshot.Id), CancellationToken.None)
                .WaitAsync(CatalogLookupTimeout).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The data is restored; a catalog that cannot take the record costs one throughput sample.
            Log.RestoreNotRecorded(_logger, policy, first, ex is TimeoutException ? $"no answer within {CatalogLookupTimeout.TotalSeconds:0} s" : ex.Message);
        }
    }

    /// <summary>
    /// Tries the candidates in order until one holds the wanted snapshot and can be read, and
    /// runs <paramref name="restore"/> on it (repository, snapshot, candidate name, catalog problem).
    /// </summary>
    private async Task<T> FromFirstReadableAsync<T>(
        PolicyRestoreRequest request, BadCopyLog badCopies, Func<BackupRepository, Snapshot, string, string?, Task<T>> restore, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        var unreadable = false;
        var (candidates, catalogProblem) = await CandidatesAsync(request, cancellationToken).ConfigureAwait(false);
        var searched = new SnapshotSearch();
        foreach (var candidate in candidates)
        {
            using var view = candidate.Targets.Count > 1
                ? new VerifiedPackReadStore(new FallbackObjectStore(candidate.Targets.Select(_repositories.Targets.OpenReadOnly), badCopies))
                : null;
            var store = (IObjectStore?)view ?? _repositories.Targets.OpenReadOnly(candidate.Targets[0]);
            BackupRepository repository;
            Snapshot? snapshot;
            try
            {
                repository = await BackupRepository.OpenAsync(store, _repositories.KeyFor(candidate.Targets[0]), _repositories.IndexCache(), cancellationToken).ConfigureAwait(false);
                snapshot = await SelectSnapshotAsync(repository, request, searched, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectStoreException or RepositoryNotFoundException or SnapshotNotFoundException or RepositoryCorruptException)
            {
                unreadable |= ex is ObjectStoreException or RepositoryCorruptException;
                Log.TargetUnreadable(_logger, candidate.Name, request.Policy, ex.Message);
                failures.Add(TargetMessage.About(candidate.Name, ex.Message));
                searched.Unreadable = true;
                continue;
            }

            await using (repository.ConfigureAwait(false))
            {
                if (snapshot is null)
                {
                    failures.Add($"{candidate.Name}: no matching snapshot");
                    continue;
                }

                return await restore(repository, snapshot, candidate.Name, catalogProblem).ConfigureAwait(false);
            }
        }

        // Every target was read and none holds the policy at all: a wrong name, said as everywhere else.
        if (!searched.Unreadable && searched.Oldest is null && request.SnapshotId is null)
        {
            throw new PolicyNotFoundException(request.Policy, searched.Policies);
        }

        if (!searched.Unreadable && request.At is { } at && searched.Oldest is { } oldest && oldest.RecoveryPoint > at)
        {
            throw new SnapshotNotFoundException(
                $"no snapshot of policy '{request.Policy}' at or before {at.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z: the oldest is {oldest.ShortId} at {oldest.RecoveryPoint.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z");
        }

        var message = $"no snapshot of policy '{request.Policy}'{Describe(request)} could be read from any target ({string.Join("; ", failures)})";
        // A target that could not be read (unreachable, unauthorized, damaged) is an operation that
        // failed (exit 1), not a wrong snapshot id or policy name (exit 2).
        throw unreadable ? new RepositoryException(message) : new SnapshotNotFoundException(message);
    }

    /// <summary>What the targets held, for an error that says why nothing matched.</summary>
    private sealed class SnapshotSearch
    {
        public HashSet<string> Policies { get; } = new(StringComparer.Ordinal);

        /// <summary>The oldest snapshot of the requested policy on any target read.</summary>
        public Snapshot? Oldest { get; set; }

        /// <summary>A target could not be read: what it holds is unknown.</summary>
        public bool Unreadable { get; set; }
    }

    /// <summary>
    /// Where to look, in order. With the catalog: the policy's own targets as one fallback set
    /// (primaries, then replicas; each pack from the healthiest copy) and nothing else: another
    /// target may hold an older or foreign repository, so it is read only when <c>--from</c> names
    /// it. Without the catalog (the incident may have taken it): every configured target on its own.
    /// </summary>
    private async Task<(IReadOnlyList<RestoreCandidate> Candidates, string? CatalogProblem)> CandidatesAsync(PolicyRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.FromTarget is not null)
        {
            _repositories.Targets.Get(request.FromTarget);
            return ([new RestoreCandidate(request.FromTarget, [request.FromTarget])], null);
        }

        if (_repositories.Targets.Names.Count == 1)
        {
            // The catalog only orders the targets; with one configured target there is nothing to
            // order, and not opening the catalog keeps it off the incident's critical path.
            var only = _repositories.Targets.Names.Single();
            return ([new RestoreCandidate(only, [only])], null);
        }

        var own = new List<string>();
        string? problem = null;
        try
        {
            // Waited for at most CatalogLookupTimeout: a database client may not honour cancellation
            // while it connects, so the lookup is abandoned rather than cancelled.
            var stored = await _catalog.Value.GetPolicyAsync(request.Policy, cancellationToken)
                .WaitAsync(CatalogLookupTimeout, cancellationToken).ConfigureAwait(false);
            if (stored?.ToPolicy() is { } policy)
            {
                own.AddRange(policy.Primaries.Concat(policy.Replicas).Select(t => t.Name).Where(n => _repositories.Targets.Names.Contains(n)));
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The catalog may be the very thing the incident destroyed (or a database server that
            // does not answer): restore without it.
            problem = ex is TimeoutException ? $"no answer within {CatalogLookupTimeout.TotalSeconds:0} s" : ex.Message;
            Log.CatalogUnavailable(_logger, request.Policy, problem);
        }

        if (own.Count > 0)
        {
            return ([new RestoreCandidate(string.Join("+", own), own)], problem);
        }

        return ([.. _repositories.Targets.Names.Order(StringComparer.Ordinal).Select(n => new RestoreCandidate(n, [n]))], problem);
    }

    private static async Task<Snapshot?> SelectSnapshotAsync(BackupRepository repository, PolicyRestoreRequest request, SnapshotSearch searched, CancellationToken cancellationToken)
    {
        if (request.SnapshotId is not null)
        {
            var byId = await repository.FindSnapshotAsync(request.SnapshotId, cancellationToken).ConfigureAwait(false);
            return byId.PolicyName == request.Policy ? byId
                : throw new SnapshotNotFoundException($"snapshot {byId.ShortId} belongs to policy '{byId.PolicyName}', not '{request.Policy}'");
        }

        var snapshots = await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false);
        searched.Policies.UnionWith(snapshots.Where(s => !SystemRecords.IsRecord(s)).Select(s => s.PolicyName).OfType<string>());
        var oldest = snapshots.Where(s => s.PolicyName == request.Policy).MinBy(s => s.RecoveryPoint);
        if (oldest is not null && (searched.Oldest is null || oldest.RecoveryPoint < searched.Oldest.RecoveryPoint))
        {
            searched.Oldest = oldest;
        }

        return snapshots
            .Where(s => s.PolicyName == request.Policy && (request.At is null || s.RecoveryPoint <= request.At))
            .MaxBy(s => s.RecoveryPoint);
    }

    private static string Describe(PolicyRestoreRequest request) =>
        request.SnapshotId is not null ? $" with id {request.SnapshotId}"
        : request.At is not null ? $" at or before {request.At:O}"
        : "";
}
