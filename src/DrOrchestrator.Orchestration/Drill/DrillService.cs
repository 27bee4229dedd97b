using System.Diagnostics;
using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Drill;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Core.Sources;
using DrOrchestrator.Core.Storage;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Contracts;
using DrOrchestrator.Orchestration.Targets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DrOrchestrator.Orchestration.Drill;

/// <summary>
/// A restore drill: proof, before the incident, that a policy can be restored from each of its
/// targets within its RTO. Per target, in turn: a fresh sandbox; the snapshot restored into it
/// (the restorer checks each file's SHA-256 as it writes); then every restored file re-read from
/// disk and compared with the snapshot's record, with file count and total bytes; non-file
/// sources drilled by their <see cref="ISourceDrill"/>. The achieved RTO is the wall time from
/// the drill's start until all that is done. Each target's drill is a catalog run of kind drill
/// with its outcome (passed, failed, passed-over-rto) and every mismatch. The sandbox is removed
/// in every case; one left by a killed drill is removed by the next.
/// </summary>
public sealed class DrillService
{
    private const string FilesSourceType = "files";
    private readonly CatalogStore _catalog;
    private readonly RepositoryAccess _repositories;
    private readonly Restorer _restorer;
    private readonly RestoredFileVerifier _verifier;
    private readonly IReadOnlyDictionary<string, ISourceDrill> _sourceDrills;
    private readonly DrillOptions _options;
    private readonly ILogger<DrillService> _logger;
    private readonly CatalogRebuild.SystemBackupService? _systemBackup;

    public DrillService(
        CatalogStore catalog, RepositoryAccess repositories, Restorer restorer, RestoredFileVerifier verifier, IEnumerable<ISourceDrill> sourceDrills,
        IEnumerable<IDatabaseEngine> engines, IOptions<DrillOptions> options, ILogger<DrillService> logger, CatalogRebuild.SystemBackupService? systemBackup = null)
    {
        _systemBackup = systemBackup;
        ArgumentNullException.ThrowIfNull(options);
        _catalog = catalog;
        _repositories = repositories;
        _restorer = restorer;
        _verifier = verifier;
        // Every database engine is drilled through its own restore into a scratch database; a
        // registered ISourceDrill for the same type takes precedence.
        var drills = sourceDrills.ToDictionary(d => d.SourceType, StringComparer.Ordinal);
        foreach (var engine in engines)
        {
            drills.TryAdd(engine.Type, new DatabaseSourceDrill(engine, logger));
        }

        _sourceDrills = drills;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Drills the stored policy <see cref="DrillRequest.Policy"/>: one outcome per target drilled.</summary>
    /// <exception cref="PolicyNotFoundException">The policy is not in the catalog.</exception>
    public async Task<IReadOnlyList<TargetDrillOutcome>> DrillAsync(DrillRequest request, IProgress<ProgressSample>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var stored = await _catalog.GetPolicyAsync(request.Policy, cancellationToken).ConfigureAwait(false) ?? throw new PolicyNotFoundException(request.Policy);
        return await DrillAsync(stored.ToPolicy(), request, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The scheduled drill of a stored policy: every target, the newest snapshot, the sample size
    /// the policy's <c>drill.sampleFiles</c> sets (0: every file).
    /// </summary>
    public async Task<IReadOnlyList<TargetDrillOutcome>> ScheduledDrillAsync(string policyName, IProgress<ProgressSample>? progress, CancellationToken cancellationToken)
    {
        var stored = await _catalog.GetPolicyAsync(policyName, cancellationToken).ConfigureAwait(false) ?? throw new PolicyNotFoundException(policyName);
        var policy = stored.ToPolicy();
        var request = new DrillRequest(policyName) { Sample = policy.Drill is { SampleFiles: > 0 } drill ? new DrillSample(drill.SampleFiles, null) : null };
        return await DrillAsync(policy, request, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drills <paramref name="policy"/> as given (its RTO is the target measured against); the policy must be in the catalog.</summary>
    public async Task<IReadOnlyList<TargetDrillOutcome>> DrillAsync(Policy policy, DrillRequest request, IProgress<ProgressSample>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(request);
        List<string> targets = request.FromTarget is { } only ? [only] : [.. policy.Targets.Select(t => t.Name)];
        foreach (var target in targets)
        {
            _repositories.Targets.Get(target); // an unknown target is bad input, said before anything runs
        }

        foreach (var leftover in DrillSandbox.RemoveLeftovers(_options.Root))
        {
            Log.LeftoverSandboxRemoved(_logger, leftover);
        }

        var outcomes = new List<TargetDrillOutcome>();
        foreach (var target in targets)
        {
            outcomes.Add(await DrillTargetAsync(policy, target, request, progress, cancellationToken).ConfigureAwait(false));
        }

        if (_systemBackup is not null)
        {
            // A drill's history exists only in the catalog: the system record takes it at once (docs/decisions.md §58).
            await _systemBackup.WriteQuietlyAsync([.. policy.Targets.Select(t => t.Name)], onlyIfDue: false, cancellationToken).ConfigureAwait(false);
        }

        return outcomes;
    }

    private async Task<TargetDrillOutcome> DrillTargetAsync(Policy policy, string target, DrillRequest request, IProgress<ProgressSample>? progress, CancellationToken cancellationToken)
    {
        var runId = await _catalog.StartRunAsync(policy.Name, RunKind.Drill, target, cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        string? snapshotId = null;
        try
        {
            TargetDrillOutcome outcome;
            using (var sandbox = DrillSandbox.Create(_options.Root))
            {
                var repository = await _repositories.OpenReadOnlyAsync(target, cancellationToken).ConfigureAwait(false);
                await using (repository.ConfigureAwait(false))
                {
                    var snapshot = await SelectSnapshotAsync(repository, policy.Name, target, request, cancellationToken).ConfigureAwait(false);
                    snapshotId = snapshot.Id;
                    outcome = await DrillSnapshotAsync(policy, target, runId, repository, snapshot, sandbox.Path, request.Sample, clock, progress, cancellationToken).ConfigureAwait(false);
                }
            }

            await RecordAsync(policy.Name, outcome, cancellationToken).ConfigureAwait(false);
            return outcome;
        }
        catch (OperationCanceledException)
        {
            await _catalog.CompleteRunAsync(runId, RunStatus.Cancelled, RunFigures.None, [], "drill cancelled", CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex) when (ex is ObjectStoreException or RepositoryException or IOException or UnauthorizedAccessException)
        {
            // The target cannot be read, holds no such snapshot, or its trees are damaged: nothing
            // could be verified, which is a failed drill of this target (the others still run).
            var outcome = new TargetDrillOutcome(
                target, runId, snapshotId, DrillOutcome.Failed, 0, 0, 0, clock.Elapsed, policy.Rto, [new DrillMismatch("", null, null, ex.Message)], ex.Message);
            Log.DrillBroken(_logger, policy.Name, target, ex.Message);
            await RecordAsync(policy.Name, outcome, CancellationToken.None).ConfigureAwait(false);
            return outcome;
        }
        catch (Exception ex) when (ex is not CatalogException)
        {
            // Anything else is a fault of this program or host, not a finding about the target: the
            // run is closed as failed (never left running) and the error goes to the caller.
            await _catalog.CompleteRunAsync(runId, RunStatus.Failed, RunFigures.None, [], ex.Message, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<TargetDrillOutcome> DrillSnapshotAsync(
        Policy policy, string target, long runId, BackupRepository repository, Snapshot snapshot, string sandbox, DrillSample? sample,
        Stopwatch clock, IProgress<ProgressSample>? progress, CancellationToken cancellationToken)
    {
        var files = await SnapshotFiles.ListAsync(repository, snapshot, cancellationToken).ConfigureAwait(false);
        var selected = files;
        if (sample is not null)
        {
            var states = await _catalog.GetDrillFileStatesAsync(policy.Name, target, cancellationToken).ConfigureAwait(false);
            selected = DrillSampleSchedule.Select(files, states, sample, DateTimeOffset.UtcNow, _options.FullVerificationPeriod, Random.Shared);
        }

        var totalBytes = selected.Sum(f => f.Size);
        var restoreProgress = progress is null ? null
            : new ImmediateProgress<RestoreProgress>(p => progress.Report(new ProgressSample(p.FilesDone, p.BytesDone, 2 * totalBytes)));
        var restored = await _restorer.RestoreAsync(
            repository,
            new RestoreRequest(snapshot, sandbox, [], Overwrite: false)
            {
                SkipOwners = true,
                Paths = sample is null ? null : [.. selected.Select(f => f.Path)],
            },
            restoreProgress,
            cancellationToken).ConfigureAwait(false);
        var restoreTime = clock.Elapsed;

        long verifiedBytes = 0;
        var verifyProgress = progress is null ? null
            : new ImmediateProgress<long>(n => progress.Report(new ProgressSample(restored.Files, totalBytes + Interlocked.Add(ref verifiedBytes, n), 2 * totalBytes)));
        var verification = await _verifier.VerifyAsync(sandbox, selected, expectNothingElse: sample is null, verifyProgress, cancellationToken).ConfigureAwait(false);
        var mismatches = Mismatches(restored, verification, selected);
        foreach (var source in snapshot.Sources?.Where(s => s.Type != FilesSourceType) ?? [])
        {
            mismatches.AddRange(_sourceDrills.TryGetValue(source.Type, out var sourceDrill)
                ? await sourceDrill.DrillAsync(new SourceDrillContext(policy, repository, snapshot, source, sandbox), cancellationToken).ConfigureAwait(false)
                : [new DrillMismatch(string.Join(",", source.Entries), null, null, $"source type '{source.Type}' has no drill in this build: not verified")]);
        }

        var rto = clock.Elapsed;
        var outcome = mismatches.Count > 0 || !verification.Passed ? DrillOutcome.Failed
            : rto > policy.Rto ? DrillOutcome.PassedOverRto
            : DrillOutcome.Passed;
        if (sample is not null)
        {
            var good = selected.Select(f => f.Path).Except(mismatches.Select(m => m.Path), StringComparer.Ordinal).ToList();
            await _catalog.RecordDrillFilesAsync(policy.Name, target, [.. files.Select(f => f.Path)], good, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        }

        return new TargetDrillOutcome(target, runId, snapshot.Id, outcome, selected.Count, verification.FilesVerified, verification.BytesVerified, rto, policy.Rto, mismatches, null)
        {
            FilesInSnapshot = files.Count,
            RestoreTime = restoreTime,
            VerifyTime = rto - restoreTime,
        };
    }

    /// <summary>
    /// One mismatch per file: the restorer's reason for a file it could not restore (it names the
    /// damaged pack), else what the re-read found.
    /// </summary>
    private static List<DrillMismatch> Mismatches(RestoreResult restored, RestoreVerification verification, IReadOnlyList<SnapshotFile> expected)
    {
        var hashes = expected.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal);
        var notRestored = restored.Failures.GroupBy(f => f.Path, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Message, StringComparer.Ordinal);
        var mismatches = new List<DrillMismatch>();
        foreach (var (path, message) in notRestored)
        {
            mismatches.Add(new DrillMismatch(path, hashes.GetValueOrDefault(path), null, "not restored: " + message));
        }

        mismatches.AddRange(verification.Mismatches.Where(m => !notRestored.ContainsKey(m.Path)).Select(m => new DrillMismatch(m.Path, m.Expected, m.Actual, m.Reason)));
        mismatches.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return mismatches;
    }

    private async Task RecordAsync(string policy, TargetDrillOutcome outcome, CancellationToken cancellationToken)
    {
        // Recorded even when the drill's caller is cancelled right now: a drill that ran is history.
        await _catalog.RecordDrillAsync(outcome.RunId, new DrillOutcomeInput(
            outcome.SnapshotId ?? "", outcome.Outcome, outcome.FilesVerified, outcome.BytesRestored, outcome.RtoAchieved, outcome.RtoTarget, outcome.Mismatches),
            CancellationToken.None).ConfigureAwait(false);
        var status = outcome.Outcome switch
        {
            DrillOutcome.Passed => RunStatus.Succeeded,
            DrillOutcome.PassedOverRto => RunStatus.Degraded,
            _ => RunStatus.Failed,
        };
        var error = outcome.Error ?? (outcome.Outcome == DrillOutcome.Failed
            ? $"{outcome.Mismatches.Count} mismatches, first: {outcome.Mismatches.FirstOrDefault()?.Path}: {outcome.Mismatches.FirstOrDefault()?.Reason}"
            : outcome.Outcome == DrillOutcome.PassedOverRto ? $"RTO {outcome.RtoAchieved.TotalSeconds:F1} s over the target of {outcome.RtoTarget.TotalSeconds:F0} s" : null);
        await _catalog.CompleteRunAsync(
            outcome.RunId, status, new RunFigures(outcome.BytesRestored, 0, 0, outcome.FilesVerified, 0, outcome.SnapshotId),
            [.. outcome.Mismatches.Select(m => new RunErrorInfo(m.Path.Length == 0 ? null : m.Path, m.Reason))], error, CancellationToken.None).ConfigureAwait(false);
        switch (outcome.Outcome)
        {
            case DrillOutcome.Failed when outcome.Error is null:
                Log.DrillMismatches(_logger, policy, outcome.Target, outcome.Mismatches.Count, $"{outcome.Mismatches[0].Path}: {outcome.Mismatches[0].Reason}");
                break;
            case DrillOutcome.PassedOverRto:
                Log.DrillOverRto(_logger, policy, outcome.Target, outcome.RtoAchieved.TotalSeconds, outcome.RtoTarget.TotalSeconds);
                break;
            default:
                break;
        }

        Log.DrillFinished(_logger, policy, outcome.Target, DrillOutcomeText(outcome.Outcome), outcome.SnapshotId ?? "-", outcome.FilesVerified, outcome.FilesExpected,
            outcome.BytesRestored, outcome.RtoAchieved.TotalSeconds, outcome.RtoTarget.TotalSeconds);
    }

    private static async Task<Snapshot> SelectSnapshotAsync(BackupRepository repository, string policy, string target, DrillRequest request, CancellationToken cancellationToken)
    {
        if (request.SnapshotId is not null)
        {
            var byId = await repository.FindSnapshotAsync(request.SnapshotId, cancellationToken).ConfigureAwait(false);
            return byId.PolicyName == policy ? byId
                : throw new SnapshotNotFoundException($"snapshot {byId.ShortId} on {target} belongs to policy '{byId.PolicyName}', not '{policy}'");
        }

        var snapshots = (await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Where(s => s.PolicyName == policy).ToList();
        if (request.RandomWithin is { } window)
        {
            var since = DateTimeOffset.UtcNow - window;
            var recent = snapshots.Where(s => s.RecoveryPoint >= since).ToList();
            return recent.Count > 0 ? recent[Random.Shared.Next(recent.Count)]
                : throw new SnapshotNotFoundException($"no snapshot of policy '{policy}' on {target} has a recovery point within the last {PolicyDuration.Format(window)}");
        }

        return snapshots.MaxBy(s => s.RecoveryPoint) ?? throw new SnapshotNotFoundException($"no snapshot of policy '{policy}' on {target}");
    }

    /// <summary>The outcome as the contract writes it: <c>passed</c>, <c>failed</c>, <c>passed-over-rto</c>.</summary>
    public static string DrillOutcomeText(DrillOutcome outcome) => outcome switch
    {
        DrillOutcome.Passed => "passed",
        DrillOutcome.PassedOverRto => "passed-over-rto",
        _ => "failed",
    };

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the pool and could report after the end).</summary>
    private sealed class ImmediateProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
