using DrOrchestrator.Catalog;
using DrOrchestrator.Orchestration.Drill;
using Hangfire;
using Hangfire.Server;
using Microsoft.Extensions.DependencyInjection;

namespace DrOrchestrator.Server.Work;

/// <summary>The drill job: Orchestration's <see cref="DrillService"/> over every target of the policy, with the policy's sample size.</summary>
public sealed partial class PolicyJobs
{
    /// <summary>
    /// Drills <paramref name="policy"/> (every target in turn). A drill that finds a mismatch or
    /// runs over the RTO is a result, recorded in the catalog, not a job failure: it is not
    /// retried. Two drills of one policy never overlap (the second is a recorded skip); each
    /// target's concurrency limit counts a drill like any other run reading it.
    /// </summary>
    [JobDisplayName("drill {0}")]
    public async Task DrillAsync(string policy, long? fireId, string requestedBy, PerformContext? context, CancellationToken cancellationToken)
    {
        var job = tracker.Track(JobId(context), "drill", policy, requestedBy);
        if (!await OwnsFireAsync(job, fireId, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var policyLock = await locks.TryAcquireAsync($"drill:{policy}", cancellationToken).ConfigureAwait(false);
        if (policyLock is null)
        {
            await FinishFireAsync(fireId, FireStatus.Done, "skipped: a drill of this policy was still running").ConfigureAwait(false);
            tracker.Finish(job, "skipped", "a drill of this policy is already running");
            return;
        }

        await using (policyLock.ConfigureAwait(false))
        {
            await RunAsync(job, fireId, cancellationToken, async (scope, ct) =>
            {
                await using var slots = await ClaimTargetsAsync(job, policy, p => p.Targets, ct).ConfigureAwait(false);
                job.Phase = "drilling";
                var progress = new Reporter<Orchestration.Contracts.ProgressSample>(p =>
                {
                    job.FilesDone = p.Files;
                    job.BytesDone = p.Bytes;
                    job.TotalBytes = p.TotalBytes;
                });
                var outcomes = await scope.GetRequiredService<DrillService>().ScheduledDrillAsync(policy, progress, ct).ConfigureAwait(false);
                job.RunId = outcomes.LastOrDefault()?.RunId;
                var passed = outcomes.All(o => o.Outcome == DrillOutcome.Passed);
                return (passed ? "succeeded" : "degraded",
                    string.Join("; ", outcomes.Select(o => $"{o.Target}: {DrillService.DrillOutcomeText(o.Outcome)} in {o.RtoAchieved.TotalSeconds:F1} s ({o.FilesVerified} files verified, {o.Mismatches.Count} mismatches)")));
            }).ConfigureAwait(false);
        }
    }
}
