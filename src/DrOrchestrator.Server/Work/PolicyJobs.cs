using DrOrchestrator.Catalog;
using DrOrchestrator.Core.Backup;
using DrOrchestrator.Core.Policies;
using DrOrchestrator.Core.Repository;
using DrOrchestrator.Core.Restore;
using DrOrchestrator.Orchestration.Backup;
using DrOrchestrator.Orchestration.Configuration;
using DrOrchestrator.Orchestration.Policies;
using DrOrchestrator.Orchestration.Replication;
using DrOrchestrator.Orchestration.Restore;
using DrOrchestrator.Orchestration.Runs;
using DrOrchestrator.Server.Work.Locks;
using Hangfire;
using Hangfire.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DrOrchestrator.Server.Work;

/// <summary>
/// The Hangfire jobs: each calls one Orchestration service, reports progress to the
/// <see cref="RunTracker"/> and can be cancelled (API) or interrupted (shutdown). Failures that
/// another attempt may fix are retried with back-off (1, 5, 15 minutes); a missing policy or bad
/// input is not. Backups of one policy never overlap: a claim in <see cref="IWorkLocks"/> (across
/// nodes too) turns a second one into a recorded skip; a target's <see cref="TargetConcurrencyLimits"/>
/// limit makes a job wait for a place.
/// </summary>
[AutomaticRetry(Attempts = 3, DelaysInSeconds = [60, 300, 900])]
public sealed partial class PolicyJobs(
    IServiceScopeFactory scopes, RunTracker tracker, ShutdownCoordinator shutdown, CatalogStore catalog, IWorkLocks locks, TargetConcurrencyLimits limits,
    TimeProvider time, ILogger<PolicyJobs> logger)
{
    [JobDisplayName("backup {0}")]
    public async Task BackupAsync(string policy, long? fireId, string requestedBy, PerformContext? context, CancellationToken cancellationToken)
    {
        var job = tracker.Track(JobId(context), "backup", policy, requestedBy);
        if (!await OwnsFireAsync(job, fireId, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var policyLock = await locks.TryAcquireAsync($"backup:{policy}", cancellationToken).ConfigureAwait(false);
        if (policyLock is null)
        {
            await FinishFireAsync(fireId, FireStatus.Done, "skipped: a backup of this policy was still running").ConfigureAwait(false);
            tracker.Finish(job, "skipped", "a backup of this policy is already running");
            return;
        }

        await using (policyLock.ConfigureAwait(false))
        {
            await RunAsync(job, fireId, cancellationToken, async (scope, ct) =>
            {
                // Holding the policy's claim, no live process backs this policy up: a run still marked
                // running is one a killed process (or node) left behind; it is closed before this one starts.
                await scope.GetRequiredService<InterruptedRunReconciler>().ReconcileAsync(ct).ConfigureAwait(false);
                await using var slots = await ClaimTargetsAsync(job, policy, p => p.Primaries, ct).ConfigureAwait(false);
                var progress = new Reporter<BackupProgress>(p =>
                {
                    job.FilesDone = p.FilesDone;
                    job.BytesDone = p.BytesDone;
                    job.TotalBytes = p.TotalBytes;
                    job.Phase = p.TotalBytes is null ? "scanning" : "archiving";
                });
                var outcome = await scope.GetRequiredService<PolicyBackupService>().BackupAsync(policy, progress, ct).ConfigureAwait(false);
                job.RunId = outcome.RunId;
                if (fireId is { } backupFire && outcome.Status == RunStatus.Succeeded)
                {
                    await FollowWithPruneAsync(scope, policy, backupFire).ConfigureAwait(false);
                }
                return (outcome.Status.ToString().ToLowerInvariant(), $"{outcome.Results.Count} snapshot(s), {outcome.TotalFiles} files, {outcome.BytesStored} bytes stored");
            }).ConfigureAwait(false);
        }
    }

    [JobDisplayName("copy {0}")]
    public async Task CopyAsync(string policy, string requestedBy, PerformContext? context, CancellationToken cancellationToken)
    {
        var job = tracker.Track(JobId(context), "copy", policy, requestedBy);
        await RunAsync(job, null, cancellationToken, async (scope, ct) =>
        {
            var stored = await catalog.GetPolicyAsync(policy, ct).ConfigureAwait(false) ?? throw new PolicyNotFoundException(policy);
            await using var slots = await ClaimTargetsAsync(job, policy, p => p.Targets, ct).ConfigureAwait(false);
            job.Phase = "copying";
            var outcomes = await scope.GetRequiredService<ReplicaCopyService>().CatchUpAsync(stored.ToPolicy(), ct).ConfigureAwait(false);
            var failed = outcomes.Where(o => !o.Succeeded).ToList();
            job.BytesDone = outcomes.Sum(o => o.Report?.BytesCopied ?? 0);
            return (failed.Count == 0 ? "succeeded" : "degraded", string.Join("; ", outcomes.Select(o => o.Succeeded ? $"{o.Target}: ok" : $"{o.Target}: {o.Error}")));
        }).ConfigureAwait(false);
    }

    [JobDisplayName("restore {0}")]
    public async Task RestoreAsync(
        string policy, string? snapshotId, DateTimeOffset? at, string? from, string[] include, string destination, bool overwrite, string requestedBy,
        PerformContext? context, CancellationToken cancellationToken)
    {
        var job = tracker.Track(JobId(context), "restore", policy, requestedBy);
        await RunAsync(job, null, cancellationToken, async (scope, ct) =>
        {
            await using var slots = await ClaimTargetsAsync(job, policy, p => from is null ? p.Targets : p.Targets.Where(t => t.Name == from), ct).ConfigureAwait(false);
            job.Phase = "restoring";
            var progress = new Reporter<RestoreProgress>(p =>
            {
                job.FilesDone = p.FilesDone;
                job.BytesDone = p.BytesDone;
                job.TotalBytes = p.TotalBytes;
            });
            var request = new PolicyRestoreRequest(policy, snapshotId, at, from, include, destination, overwrite);
            var outcome = await scope.GetRequiredService<PolicyRestoreService>().RestoreAsync(request, progress, ct).ConfigureAwait(false);
            return ("succeeded", $"snapshot {outcome.Snapshot.ShortId} from {outcome.Target}: {outcome.Result.FilesVerified} files verified");
        }).ConfigureAwait(false);
    }

    /// <summary>Queues the prune a scheduled backup may be followed by; a failure to queue it is logged, never fails the backup.</summary>
    private async Task FollowWithPruneAsync(IServiceProvider scope, string policy, long backupFireId)
    {
        try
        {
            await scope.GetRequiredService<PruneFollowUp>().AfterBackupAsync(policy, backupFireId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The backup committed; whatever stopped its follow-up must not turn it into a failure
            // (and a retry of the backup). The next scheduled backup queues the prune again.
            Log.PruneNotQueued(logger, policy, ex.Message);
        }
    }

    private async Task RunAsync(LiveJob job, long? fireId, CancellationToken hangfireToken, Func<IServiceProvider, CancellationToken, Task<(string Phase, string Message)>> work)
    {
        // Hangfire's token fires on a shutdown request and when the job is deleted. A shutdown
        // gives the job the grace first (the coordinator's deadline); a deletion cancels at once.
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(job.Cancellation.Token, shutdown.Deadline);
        using var onHangfire = hangfireToken.Register(() =>
        {
            if (!shutdown.IsStopping)
            {
                job.Cancellation.Cancel();
            }
        });
        job.StartedAt = time.GetUtcNow();
        job.Phase = "starting";
        Log.JobStarted(logger, job.JobId, job.Kind, job.Policy, job.RequestedBy);
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            var (phase, message) = await work(scope.ServiceProvider, cancellation.Token).ConfigureAwait(false);
            await FinishFireAsync(fireId, FireStatus.Done, phase).ConfigureAwait(false);
            tracker.Finish(job, phase, message);
        }
        catch (OperationCanceledException) when (shutdown.Deadline.IsCancellationRequested || (shutdown.IsStopping && !job.Cancellation.IsCancellationRequested))
        {
            await FinishFireAsync(fireId, FireStatus.Interrupted, "interrupted by a shutdown; re-queued").ConfigureAwait(false);
            tracker.Finish(job, "interrupted", "the service shut down; the job is re-queued");
            throw; // Hangfire puts a job cancelled by its shutdown back into the queue.
        }
        catch (OperationCanceledException) when (job.Cancellation.IsCancellationRequested)
        {
            await FinishFireAsync(fireId, FireStatus.Done, "cancelled").ConfigureAwait(false);
            tracker.Finish(job, "cancelled", "cancelled on request; nothing was committed");
        }
        catch (Exception ex) when (ex is PolicyNotFoundException or PolicyValidationException or ConfigurationException or CatalogException
            or SnapshotNotFoundException or RestoreRefusedException)
        {
            await FinishFireAsync(fireId, FireStatus.Done, $"failed: {ex.Message}").ConfigureAwait(false);
            tracker.Finish(job, "failed", ex.Message); // another attempt cannot fix bad input: no retry
        }
        catch (Exception ex)
        {
            await FinishFireAsync(fireId, FireStatus.Done, $"failed (retried with back-off): {ex.Message}").ConfigureAwait(false);
            tracker.Finish(job, "failed", ex.Message);
            throw;
        }
        finally
        {
            Log.JobFinished(logger, job.JobId, job.Kind, job.Policy, job.Phase);
        }
    }

    /// <summary>
    /// Takes a place on every target of <paramref name="policy"/> (chosen by <paramref name="targets"/>)
    /// that has a <see cref="TargetConcurrencyLimits"/> limit, waiting while it is full; in name order,
    /// so two jobs waiting for the same two targets cannot hold one each for ever.
    /// </summary>
    private async Task<IAsyncDisposable> ClaimTargetsAsync(LiveJob job, string policy, Func<Policy, IEnumerable<PolicyTarget>> targets, CancellationToken cancellationToken)
    {
        var held = new TargetClaims();
        if (limits.Limits.Count == 0 || await catalog.GetPolicyAsync(policy, cancellationToken).ConfigureAwait(false) is not { } stored)
        {
            return held; // no limits, or no policy (the job's own call reports that)
        }

        var phase = job.Phase;
        try
        {
            foreach (var target in targets(stored.ToPolicy()).Select(t => t.Name).Distinct().Order(StringComparer.Ordinal))
            {
                if (limits.LimitOf(target) is { } limit)
                {
                    job.Phase = $"waiting for target {target}";
                    held.Add(await locks.AcquireSlotAsync($"target:{target}", limit, cancellationToken).ConfigureAwait(false));
                }
            }

            job.Phase = phase;
        }
        catch
        {
            await held.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return held;
    }

    private sealed class TargetClaims : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> _claims = [];

        public void Add(IAsyncDisposable claim) => _claims.Add(claim);

        public async ValueTask DisposeAsync()
        {
            foreach (var claim in _claims)
            {
                await claim.DisposeAsync().ConfigureAwait(false);
            }

            _claims.Clear();
        }
    }

    /// <summary>
    /// A job of a scheduled fire makes the fire its own before it starts, as a compare-and-set on
    /// the fire's job id (decisions §78): true for a job with no fire, for the fire's first job and
    /// for that job again (a retry, a re-queue after a shutdown). False when the fire belongs to
    /// another job — the watchdog queued a stranded fire again (§74) and one of the two got there
    /// first: this one is finished as skipped without touching the fire, and runs nothing.
    /// </summary>
    private async Task<bool> OwnsFireAsync(LiveJob job, long? fireId, CancellationToken cancellationToken)
    {
        if (fireId is not { } id || await catalog.TryOwnFireAsync(id, job.JobId, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        var owner = (await catalog.GetFireAsync(id, cancellationToken).ConfigureAwait(false))?.JobId;
        var reason = owner is null ? "the fire is not in the catalog" : $"job {owner} runs it";
        Log.FireOwnedByAnotherJob(logger, job.Kind, id, job.Policy, job.JobId, reason);
        tracker.Finish(job, "skipped", $"scheduled fire {id}: {reason}");
        return false;
    }

    private async Task FinishFireAsync(long? fireId, FireStatus status, string detail)
    {
        if (fireId is { } id)
        {
            await catalog.UpdateFireAsync(id, status, null, detail, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static string JobId(PerformContext? context) => context?.BackgroundJob.Id ?? "local-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the pool and could report after the end).</summary>
    private sealed class Reporter<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
